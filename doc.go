// Package gameday boots a scenario's stack from Go — real MinIO servers and
// stub APIs, a fault proxy in front of each, the alert receiver — for tests
// that point their own client at it, inject a fault in the middle of a
// test and judge what crossed the wire, the way `gameday run` judges a
// workload:
//
//	st, err := gameday.Start(ctx, gameday.File("testdata/upload.yaml"),
//		gameday.WithBackend(gameday.Process), gameday.WithFaultsDisarmed())
//	defer st.Close(ctx)                 // also after an error: Close is safe on what Start returned
//	if err != nil { ... }
//	c := myclient.New(st.URL("storage"), st.Credentials("storage"))
//	_ = st.Arm("one-503")               // a fault of the scenario, by name
//	err = c.Upload(ctx, "models/run-1/model.bin", data)
//	res, _ := st.Judge(ctx)             // the scenario's entry of report.json
//
// A Stack is the same stack `gameday run` and `gameday up` boot (package
// harness), judged as `gameday up` judges a game day: nothing of the
// harness runs a workload, so outcome and duration are not judged and the
// recovery time is the longest per-operation recovery. Package matchers
// holds Gomega matchers over a Stack, a Snapshot or a journal whose
// failure messages are the CLI's.
//
// Stacks are safe to start side by side, in one process or in parallel
// test processes (ginkgo -p): every port is reserved across processes
// with a lock file (see harness.Ports), each stack has its own temporary
// folder and run record, and each target its own data. Stub targets run
// the gameday binary ($GAMEDAY_BIN); MinIO targets the pinned MinIO
// binary ($GAMEDAY_MINIO_BIN, or bin/minio under the working directory);
// the docker backend needs `make images`.
package gameday
