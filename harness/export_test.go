package harness

// RunScenariosListenHook is RunScenarios with hook seeing every port
// allocated for a proxy or the alert receiver before it is listened on.
var RunScenariosListenHook = runScenarios
