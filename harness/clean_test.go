package harness_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness"
)

var _ = Describe("Clean", func() {
	// startSleeper starts a process in its own group that nobody kills on
	// our death, as a leftover of a killed run would be.
	startSleeper := func() *exec.Cmd {
		cmd := exec.Command("sleep", "300")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		Expect(cmd.Start()).To(Succeed())
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		DeferCleanup(func() {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		})
		return cmd
	}
	writeRecord := func(rec harness.RunRecord) string {
		home, err := harness.StateHome()
		Expect(err).NotTo(HaveOccurred())
		Expect(os.MkdirAll(filepath.Join(home, "runs"), 0o700)).To(Succeed())
		p := filepath.Join(home, "runs", rec.RunID+".json")
		data, _ := json.Marshal(rec)
		Expect(os.WriteFile(p, data, 0o600)).To(Succeed())
		DeferCleanup(func() { _ = os.Remove(p) })
		return p
	}
	deadOwner := func() harness.ProcessRecord {
		cmd := exec.Command("true")
		Expect(cmd.Run()).To(Succeed())
		return harness.ProcessRecord{PID: cmd.Process.Pid, Start: 1}
	}

	It("kills a dead run's processes by pid and start time, and leaves a recycled pid alone", func(ctx SpecContext) {
		mine := startSleeper()
		start, err := harness.ProcessStartTime(mine.Process.Pid)
		Expect(err).NotTo(HaveOccurred())
		recycled := startSleeper()
		rStart, err := harness.ProcessStartTime(recycled.Process.Pid)
		Expect(err).NotTo(HaveOccurred())
		dir := GinkgoT().TempDir()
		leftDir := filepath.Join(dir, "left")
		Expect(os.Mkdir(leftDir, 0o700)).To(Succeed())

		rec := writeRecord(harness.RunRecord{
			RunID: "clean-spec-dead", Owner: deadOwner(), StartedAt: time.Now(), Dir: leftDir,
			Processes: []harness.ProcessRecord{
				{Target: "storage", PID: mine.Process.Pid, Start: start},
				{Target: "other", PID: recycled.Process.Pid, Start: rStart + 1}, // same pid, another process
			},
		})
		removed, err := harness.Clean(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(removed).To(ContainElement(harness.Removed{RunID: "clean-spec-dead", What: "process", ID: itoa(mine.Process.Pid), Target: "storage"}))
		Expect(removed).To(ContainElement(HaveField("What", "dir")))
		Expect(removed).To(ContainElement(HaveField("What", "record")))
		Expect(removed).NotTo(ContainElement(HaveField("Target", "other")))
		Eventually(func() bool { return processGone(mine.Process.Pid) }).Should(BeTrue())
		Expect(processGone(recycled.Process.Pid)).To(BeFalse(), "a pid whose start time differs is not ours")
		Expect(leftDir).NotTo(BeADirectory())
		Expect(rec).NotTo(BeAnExistingFile())
	})

	It("leaves runs whose owner still lives alone", func(ctx SpecContext) {
		child := startSleeper()
		start, _ := harness.ProcessStartTime(child.Process.Pid)
		selfStart, _ := harness.ProcessStartTime(os.Getpid())
		rec := writeRecord(harness.RunRecord{
			RunID: "clean-spec-live", Owner: harness.ProcessRecord{PID: os.Getpid(), Start: selfStart},
			Processes: []harness.ProcessRecord{{Target: "storage", PID: child.Process.Pid, Start: start}},
		})
		removed, err := harness.Clean(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(removed).NotTo(ContainElement(HaveField("RunID", "clean-spec-live")))
		Expect(processGone(child.Process.Pid)).To(BeFalse())
		Expect(rec).To(BeAnExistingFile())
	})

	It("kills a dead run's workload group whose leader is gone, and leaves a reused leader pid alone", func(ctx SpecContext) {
		// sh leads its group and runs sleep; kill sh alone, as Pdeathsig
		// does when the harness dies: sleep stays in the group.
		cmd := exec.Command("sh", "-c", "sleep 303; true")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		Expect(cmd.Start()).To(Succeed())
		pgid := cmd.Process.Pid
		start, err := harness.ProcessStartTime(pgid)
		Expect(err).NotTo(HaveOccurred())
		waited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(waited) }()
		DeferCleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
		Eventually(func() int { return len(harness.GroupMembers(pgid)) }).Should(Equal(2))
		Expect(syscall.Kill(pgid, syscall.SIGKILL)).To(Succeed())
		<-waited
		Expect(harness.GroupMembers(pgid)).To(HaveLen(1), "sleep is left, as after a kill -9 of the harness")

		// Another group whose recorded leader pid now runs another program.
		other := startSleeper()
		oStart, err := harness.ProcessStartTime(other.Process.Pid)
		Expect(err).NotTo(HaveOccurred())

		writeRecord(harness.RunRecord{RunID: "clean-spec-workload", Owner: deadOwner(),
			Workload: &harness.ProcessRecord{Target: "workload", PID: pgid, Start: start, PGID: pgid}})
		writeRecord(harness.RunRecord{RunID: "clean-spec-reused", Owner: deadOwner(),
			Workload: &harness.ProcessRecord{Target: "workload", PID: other.Process.Pid, Start: oStart + 1, PGID: other.Process.Pid}})
		removed, err := harness.Clean(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(removed).To(ContainElement(harness.Removed{RunID: "clean-spec-workload", What: "process group", ID: itoa(pgid), Target: "workload"}))
		Expect(harness.GroupMembers(pgid)).To(BeEmpty())
		Expect(removed).NotTo(ContainElement(SatisfyAll(HaveField("RunID", "clean-spec-reused"), HaveField("What", "process group"))))
		Expect(processGone(other.Process.Pid)).To(BeFalse(), "a leader pid whose start time differs is not ours")
	})
})
