// Package e2e holds the end-to-end suite of `gameday run`: the scenario
// library on both backends, the negative set with its expected failures,
// Ctrl-C, bad input, an unstartable target, seed replay and redaction. It
// builds the gameday binary once and runs it as a child process, as a user
// would.
package e2e
