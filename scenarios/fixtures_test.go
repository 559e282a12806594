package scenarios_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/internal/strictyaml"
	"github.com/gameday/gameday/scenarios"
)

// update rewrites the .err golden files: UPDATE_GOLDEN=1 go test ./scenarios
var update = os.Getenv("UPDATE_GOLDEN") != ""

func fixtures(dir string) []string {
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if err != nil {
		panic(err)
	}
	return files
}

var _ = Describe("bad fixtures", func() {
	files := fixtures("bad")
	It("has at least 25 of them", func() {
		Expect(len(files)).To(BeNumerically(">=", 25))
	})
	for _, file := range files {
		It("rejects "+file+" with exactly the errors of its .err file", func() {
			_, err := scenarios.LoadFile(file)
			Expect(err).To(HaveOccurred())
			var errs strictyaml.Errors
			Expect(errors.As(err, &errs)).To(BeTrue(), "a strictyaml.Errors")
			golden := strings.TrimSuffix(file, ".yaml") + ".err"
			if update {
				Expect(os.WriteFile(golden, []byte(err.Error()+"\n"), 0o644)).To(Succeed())
			}
			want, rerr := os.ReadFile(golden)
			Expect(rerr).NotTo(HaveOccurred())
			Expect(err.Error() + "\n").To(Equal(string(want)))
			for _, line := range strings.Split(err.Error(), "\n") {
				Expect(line).To(HavePrefix(file+":"), "every line names the file")
			}
		})
	}
})

var _ = Describe("good fixtures", func() {
	for _, file := range append(fixtures("good"), fixtures("../library")...) {
		It("loads "+file, func() {
			sc, err := scenarios.LoadFile(file)
			Expect(err).NotTo(HaveOccurred())
			Expect(sc.Name).NotTo(BeEmpty())
			Expect(filepath.IsAbs(sc.File)).To(BeTrue())
		})
	}
})
