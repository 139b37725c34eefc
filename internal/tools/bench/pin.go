package main

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// serverCPU is the core the measured servers run on when the machine has
// more than one.
const serverCPU = 0

// canPin says whether servers can be given a core of their own.
func canPin() bool {
	_, err := exec.LookPath("taskset")
	return runtime.NumCPU() > 1 && err == nil
}

// pinned is the command to start a server on serverCPU alone.
func pinned(bin string, args ...string) *exec.Cmd {
	if !canPin() {
		return exec.Command(bin, args...)
	}
	return exec.Command("taskset", append([]string{"-c", strconv.Itoa(serverCPU), bin}, args...)...)
}

// pinLoad moves every thread of this process (the load generator) off
// serverCPU; threads made later inherit it. undo gives them every core
// back. note says what was done, for the table.
func pinLoad() (undo func(), note string) {
	if !canPin() {
		return func() {}, ""
	}
	var load, all unix.CPUSet
	for c := range runtime.NumCPU() {
		all.Set(c)
		if c != serverCPU {
			load.Set(c)
		}
	}
	setAll := func(set *unix.CPUSet) {
		tasks, _ := os.ReadDir("/proc/self/task")
		for _, t := range tasks {
			if tid, err := strconv.Atoi(t.Name()); err == nil {
				unix.SchedSetaffinity(tid, set)
			}
		}
	}
	setAll(&load)
	return func() { setAll(&all) }, "; server pinned to core 0, load generator to the other core(s)"
}
