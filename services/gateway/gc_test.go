package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// currentGCPercent reads the collector's target back.
func currentGCPercent() int {
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	return p
}

func TestGCPercentFlagAppliesWithoutGOGC(t *testing.T) {
	before := currentGCPercent()
	defer debug.SetGCPercent(before)
	t.Setenv("GOGC", "")
	if err := applyGCPercent(250); err != nil {
		t.Fatal(err)
	}
	if got := currentGCPercent(); got != 250 {
		t.Fatalf("GC percent = %d, want 250", got)
	}
	if defaultGCPercent != 400 {
		t.Fatalf("default GC percent = %d, want 400", defaultGCPercent)
	}
}

func TestGOGCInTheEnvironmentWins(t *testing.T) {
	before := currentGCPercent()
	defer debug.SetGCPercent(before)
	debug.SetGCPercent(137) // as if the runtime had applied GOGC=137 at start-up
	t.Setenv("GOGC", "137")
	if err := applyGCPercent(400); err != nil {
		t.Fatal(err)
	}
	if got := currentGCPercent(); got != 137 {
		t.Fatalf("GC percent = %d, want the environment's 137", got)
	}
	if _, fromEnv, _ := gcPercent(400, "off"); !fromEnv {
		t.Fatal("GOGC=off must be left to the runtime")
	}
}

func TestGCPercentBelowOneIsRefusedByName(t *testing.T) {
	t.Setenv("GOGC", "")
	_, _, err := gcPercent(0, "")
	if err == nil || !strings.Contains(err.Error(), "--gc-percent") {
		t.Fatalf("err = %v, want one naming --gc-percent", err)
	}
	if code := run([]string{"--gc-percent", "0"}); code != 2 {
		t.Fatalf("run --gc-percent 0 = %d, want 2", code)
	}
}
