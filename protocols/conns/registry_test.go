package conns_test

import (
	"testing"

	"github.com/streamgate/streamgate/protocols/conns"
)

func TestRegistryListGetKick(t *testing.T) {
	r := conns.New()
	kicked := 0
	removeA := r.Add(conns.RTMPConns, "a", func() any { return "A" }, func() { kicked++ })
	r.Add(conns.RTMPConns, "b", func() any { return "B" }, nil)
	r.Add(conns.SRTConns, "c", func() any { return "C" }, nil)
	if got := r.List(conns.RTMPConns); len(got) != 2 || got[0] != "A" || got[1] != "B" {
		t.Errorf("list: %v, want [A B] oldest first", got)
	}
	if _, ok := r.Get(conns.SRTConns, "a"); ok {
		t.Errorf("an ID of another kind was found")
	}
	if !r.Kick(conns.RTMPConns, "a") || kicked != 1 {
		t.Errorf("kick of a did not run its kick")
	}
	if r.Kick(conns.RTMPConns, "b") {
		t.Errorf("an entry without a kick was kicked")
	}
	removeA()
	if _, ok := r.Get(conns.RTMPConns, "a"); ok {
		t.Errorf("a removed entry is still there")
	}
	var nilReg *conns.Registry
	nilReg.Add(conns.RTMPConns, "x", func() any { return nil }, nil)() // a listener without the API
}

func TestQueryMasksEveryValue(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "",
		"jwt=eyJabc.def":           "jwt=xxxxx",
		"user=u&pass=p&token=t&a=": "user=xxxxx&pass=xxxxx&token=xxxxx&a=xxxxx",
		"flag":                     "xxxxx",
	} {
		if got := conns.Query(in); got != want {
			t.Errorf("Query(%q) = %q, want %q", in, got, want)
		}
	}
}
