// Package condition compiles and evaluates the `when` expressions of alert
// rules (github.com/expr-lang/expr) over the documented variables. It imports
// nothing of gameday, so both the policy loader (policies.Load, to validate)
// and policies/alerting (to evaluate) can use it:
//
//	c, err := condition.Compile("consecutive_failures >= 3 || late > duration('60m')")
//	fire, err := c.Eval(condition.Vars{FailureCount: 3, ConsecutiveFailures: 3})
package condition

import (
	"fmt"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Vars are the variables a rule's `when` expression sees (DESIGN.md, "The
// policy file").
type Vars struct {
	// FailureCount is the number of failed runs in a row ending with this
	// one; 0 when this run succeeded.
	FailureCount int `expr:"failure_count" json:"failure_count"`
	// ConsecutiveFailures equals FailureCount; the primer uses both names.
	ConsecutiveFailures int `expr:"consecutive_failures" json:"consecutive_failures"`
	// Late is end − GAMEDAY_RUN_STARTED_AT − GAMEDAY_SLA, or 0 when that is
	// not positive or there is no SLA. Compare it with duration('60m').
	Late time.Duration `expr:"late" json:"late"`
	// ErrorClass is transient, throttled, permanent, unknown, or "" on
	// success.
	ErrorClass string `expr:"error_class" json:"error_class"`
	RunID      string `expr:"run_id" json:"run_id"`
	Pipeline   string `expr:"pipeline" json:"pipeline"`
	Step       string `expr:"step" json:"step"`
	// Attempts is the number of attempts the failing operation took.
	Attempts int `expr:"attempts" json:"attempts"`
}

// Validate reports whether when compiles; the policy loader calls it.
func Validate(when string) error {
	_, err := Compile(when)
	return err
}

// Condition is a compiled `when` expression.
type Condition struct {
	src  string
	prog *vm.Program
}

// Compile checks that when is a boolean expression over Vars and returns
// it compiled. Unknown variables and non-boolean results are errors.
func Compile(when string) (*Condition, error) {
	if when == "" {
		return nil, fmt.Errorf("compile condition: empty expression")
	}
	prog, err := expr.Compile(when, expr.Env(Vars{}), expr.AsBool())
	if err != nil {
		return nil, fmt.Errorf("compile condition %q: %w", when, err)
	}
	return &Condition{src: when, prog: prog}, nil
}

// String returns the expression's source text.
func (c *Condition) String() string { return c.src }

// Eval evaluates the condition over v.
func (c *Condition) Eval(v Vars) (bool, error) {
	out, err := expr.Run(c.prog, v)
	if err != nil {
		return false, fmt.Errorf("evaluate %q: %w", c.src, err)
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("evaluate %q: got %T, want bool", c.src, out)
	}
	return b, nil
}
