// pause: the process that holds a pod's namespaces open (the sandbox image's only program) for
// scripts/local-cluster.sh, built here because no registry serves the upstream image. It
// sleeps until SIGINT or SIGTERM and, as PID 1 of a pod that shares its process namespace,
// reaps the orphans that are re-parented to it.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
