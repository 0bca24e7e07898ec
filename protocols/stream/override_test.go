package stream_test

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/confmap"
	"github.com/streamgate/streamgate/protocols/stream"
)

// tracked is what a test's Savant-like sink saw of one publication.
type tracked struct {
	units  atomic.Int64
	closed atomic.Bool
}

const onePublisher = `# HELP streamgate_stream_publishers Paths with a publisher.
# TYPE streamgate_stream_publishers gauge
streamgate_stream_publishers 1
`

// Publishers racing to override one path (run with -race): one publication
// is left live, every replaced one has ended and its sinks — the inline
// Savant one included — are stopped: a unit its publisher still writes
// reaches nobody.
func TestOverridePublishRace(t *testing.T) {
	c, err := config.Parse("hub.yml", []byte("paths:\n  ~^over.*: {overridePublisher: yes}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	h := stream.NewHub(confmap.Paths(func() *config.Conf { return c }), reg, slog.New(slog.DiscardHandler))
	var mu sync.Mutex
	sinks := map[*stream.Publication]*tracked{}
	h.OnPublish(func(p *stream.Publication) {
		tr := &tracked{}
		mu.Lock()
		sinks[p] = tr
		mu.Unlock()
		p.AddInlineSink("savant", func(*stream.Unit) { tr.units.Add(1) }, func() { tr.closed.Store(true) })
	})
	const rounds, racers = 30, 12
	for round := range rounds {
		name := fmt.Sprintf("over%d", round)
		first, err := h.Publish(name, desc(), stream.SourceInfo{ID: "first"})
		if err != nil {
			t.Fatal(err)
		}
		pubs := make([]*stream.Publication, racers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				<-start
				p, err := h.Publish(name, desc(), stream.SourceInfo{ID: fmt.Sprint(i)})
				if err != nil {
					t.Errorf("override publish: %v", err)
					return
				}
				pubs[i] = p
			})
		}
		close(start)
		wg.Wait()
		if t.Failed() {
			return
		}
		live, err := h.Get(name)
		if err != nil {
			t.Fatalf("round %d: no live publication: %v", round, err)
		}
		orphans := 0
		for _, p := range append(pubs, first) {
			mu.Lock()
			tr := sinks[p]
			mu.Unlock()
			p.WriteUnit(&stream.Unit{AU: [][]byte{{1}}})
			if p == live {
				if tr.units.Load() != 1 || tr.closed.Load() {
					t.Fatalf("round %d: the live publication's sink: %d units, closed %v", round, tr.units.Load(), tr.closed.Load())
				}
				continue
			}
			select {
			case <-p.Done():
			default:
				orphans++
				continue
			}
			if !tr.closed.Load() || tr.units.Load() != 0 {
				t.Fatalf("round %d: a replaced publication's sink: closed %v, %d units after it ended", round, tr.closed.Load(), tr.units.Load())
			}
		}
		if orphans > 0 {
			t.Fatalf("round %d: %d replaced publications still open (not in the hub, their sinks still writing)", round, orphans)
		}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(onePublisher), "streamgate_stream_publishers"); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		live.Close()
	}
}
