package lifecycle_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gameday/gameday/harness/lifecycle"
	"github.com/gameday/gameday/internal/testenv"
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
	writeRecord := func(rec lifecycle.RunRecord) string {
		home, err := lifecycle.StateHome()
		Expect(err).NotTo(HaveOccurred())
		Expect(os.MkdirAll(filepath.Join(home, "runs"), 0o700)).To(Succeed())
		p := filepath.Join(home, "runs", rec.RunID+".json")
		data, _ := json.Marshal(rec)
		Expect(os.WriteFile(p, data, 0o600)).To(Succeed())
		DeferCleanup(func() { _ = os.Remove(p) })
		return p
	}
	deadOwner := func() lifecycle.ProcessRecord {
		cmd := exec.Command("true")
		Expect(cmd.Run()).To(Succeed())
		return lifecycle.ProcessRecord{PID: cmd.Process.Pid, Start: 1}
	}

	It("kills a dead run's processes by pid and start time, and leaves a recycled pid alone", func(ctx SpecContext) {
		mine := startSleeper()
		start, err := lifecycle.ProcessStartTime(mine.Process.Pid)
		Expect(err).NotTo(HaveOccurred())
		recycled := startSleeper()
		rStart, err := lifecycle.ProcessStartTime(recycled.Process.Pid)
		Expect(err).NotTo(HaveOccurred())
		dir := GinkgoT().TempDir()
		leftDir := filepath.Join(dir, "left")
		Expect(os.Mkdir(leftDir, 0o700)).To(Succeed())

		rec := writeRecord(lifecycle.RunRecord{
			RunID: "clean-spec-dead", Owner: deadOwner(), StartedAt: time.Now(), Dir: leftDir,
			Processes: []lifecycle.ProcessRecord{
				{Target: "storage", PID: mine.Process.Pid, Start: start},
				{Target: "other", PID: recycled.Process.Pid, Start: rStart + 1}, // same pid, another process
			},
		})
		removed, err := lifecycle.Clean(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(removed).To(ContainElement(lifecycle.Removed{RunID: "clean-spec-dead", What: "process", ID: strconv.Itoa(mine.Process.Pid), Target: "storage"}))
		Expect(removed).To(ContainElement(HaveField("What", "dir")))
		Expect(removed).To(ContainElement(HaveField("What", "record")))
		Expect(removed).NotTo(ContainElement(HaveField("Target", "other")))
		Eventually(func() bool { return testenv.ProcessGone(mine.Process.Pid) }).Should(BeTrue())
		Expect(testenv.ProcessGone(recycled.Process.Pid)).To(BeFalse(), "a pid whose start time differs is not ours")
		Expect(leftDir).NotTo(BeADirectory())
		Expect(rec).NotTo(BeAnExistingFile())
	})

	It("leaves runs whose owner still lives alone", func(ctx SpecContext) {
		child := startSleeper()
		start, _ := lifecycle.ProcessStartTime(child.Process.Pid)
		selfStart, _ := lifecycle.ProcessStartTime(os.Getpid())
		rec := writeRecord(lifecycle.RunRecord{
			RunID: "clean-spec-live", Owner: lifecycle.ProcessRecord{PID: os.Getpid(), Start: selfStart},
			Processes: []lifecycle.ProcessRecord{{Target: "storage", PID: child.Process.Pid, Start: start}},
		})
		removed, err := lifecycle.Clean(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(removed).NotTo(ContainElement(HaveField("RunID", "clean-spec-live")))
		Expect(testenv.ProcessGone(child.Process.Pid)).To(BeFalse())
		Expect(rec).To(BeAnExistingFile())
	})

	It("kills a dead run's workload group whose leader is gone, and leaves a reused leader pid alone", func(ctx SpecContext) {
		// sh leads its group and runs sleep; kill sh alone, as Pdeathsig
		// does when the harness dies: sleep stays in the group.
		cmd := exec.Command("sh", "-c", "sleep 303; true")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		Expect(cmd.Start()).To(Succeed())
		pgid := cmd.Process.Pid
		start, err := lifecycle.ProcessStartTime(pgid)
		Expect(err).NotTo(HaveOccurred())
		waited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(waited) }()
		DeferCleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
		Eventually(func() int { return len(lifecycle.GroupMembers(pgid)) }).Should(Equal(2))
		Expect(syscall.Kill(pgid, syscall.SIGKILL)).To(Succeed())
		<-waited
		Expect(lifecycle.GroupMembers(pgid)).To(HaveLen(1), "sleep is left, as after a kill -9 of the harness")

		// Another group whose recorded leader pid now runs another program.
		other := startSleeper()
		oStart, err := lifecycle.ProcessStartTime(other.Process.Pid)
		Expect(err).NotTo(HaveOccurred())

		writeRecord(lifecycle.RunRecord{RunID: "clean-spec-workload", Owner: deadOwner(),
			Workload: &lifecycle.ProcessRecord{Target: "workload", PID: pgid, Start: start, PGID: pgid}})
		writeRecord(lifecycle.RunRecord{RunID: "clean-spec-reused", Owner: deadOwner(),
			Workload: &lifecycle.ProcessRecord{Target: "workload", PID: other.Process.Pid, Start: oStart + 1, PGID: other.Process.Pid}})
		removed, err := lifecycle.Clean(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(removed).To(ContainElement(lifecycle.Removed{RunID: "clean-spec-workload", What: "process group", ID: strconv.Itoa(pgid), Target: "workload"}))
		Expect(lifecycle.GroupMembers(pgid)).To(BeEmpty())
		Expect(removed).NotTo(ContainElement(SatisfyAll(HaveField("RunID", "clean-spec-reused"), HaveField("What", "process group"))))
		Expect(testenv.ProcessGone(other.Process.Pid)).To(BeFalse(), "a leader pid whose start time differs is not ours")
	})
})
