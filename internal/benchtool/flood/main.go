// Command flood is the password-flood scenario of scripts/bench-http.sh.
//
// It opens -conns keep-alive connections that send wrong passwords for one
// user (-victim) to the API for -duration, a different password each time,
// while one keep-alive connection of a legitimate user sends requests back
// to back and records each one's latency. It scrapes /metrics during the
// run to see when the user quarantine engages and whether argon2
// verifications continue after it.
//
// Every flood connection comes from its own loopback address (127.0.1.N)
// (many clients, one target name: the name's userFailedAttemptLimit stops
// it); -spread=false sends it all from 127.0.0.1, the legitimate user's
// address (one guesser behind a shared address: the name is quarantined
// from there, the legitimate user, trusted there, is not).
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	api := flag.String("api", "", "API base URL, http://127.0.0.1:PORT")
	metrics := flag.String("metrics", "", "metrics base URL, http://127.0.0.1:PORT")
	victim := flag.String("victim", "victim", "user name the flood targets")
	user := flag.String("user", "", "legitimate user (api and metrics permission)")
	pass := flag.String("pass", "", "legitimate user's password")
	metricsUser := flag.String("metrics-user", "", "user scraping /metrics (default: -user)")
	metricsPass := flag.String("metrics-pass", "", "its password")
	conns := flag.Int("conns", 200, "flood connections")
	duration := flag.Duration("duration", 10*time.Second, "flood duration")
	spread := flag.Bool("spread", true, "give each flood connection its own loopback source address")
	flag.Parse()
	if *api == "" || *metrics == "" || *user == "" {
		flag.Usage()
		os.Exit(2)
	}
	if *metricsUser == "" {
		*metricsUser, *metricsPass = *user, *pass
	}
	if err := run(*api, *metrics, *victim, *user, *pass, basic(*metricsUser, *metricsPass), *conns, *duration, *spread); err != nil {
		fmt.Fprintln(os.Stderr, "flood:", err)
		os.Exit(1)
	}
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// client is one keep-alive connection (from local, when valid).
func client(local net.IP) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if local != nil {
		d.LocalAddr = &net.TCPAddr{IP: local}
	}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext:         d.DialContext,
			MaxIdleConnsPerHost: 1,
			MaxConnsPerHost:     1,
			DisableCompression:  true,
		},
	}
}

func get(ctx context.Context, c *http.Client, url, auth string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", auth)
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// scrape reads the counters this scenario watches.
type sample struct {
	at          time.Duration
	argon2      float64
	quarantined float64 // every scope
}

func scrape(ctx context.Context, c *http.Client, url, auth string) (sample, error) {
	code, body, err := get(ctx, c, url+"/metrics", auth)
	if err != nil {
		return sample{}, err
	}
	if code != http.StatusOK {
		return sample{}, fmt.Errorf("GET /metrics: %d", code)
	}
	var s sample
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := sc.Text()
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		switch {
		case name == "streamgate_auth_argon2_verifications_total":
			s.argon2 = f
		case strings.HasPrefix(name, "streamgate_auth_quarantined_total{"):
			s.quarantined += f
		}
	}
	return s, sc.Err()
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func run(api, metricsURL, victim, user, pass, metricsAuth string, conns int, duration time.Duration, spread bool) error {
	ctx := context.Background()
	legitAuth := basic(user, pass)
	target := api + "/v3/paths/list"

	// The legitimate user has logged in before the flood (a decision in
	// the cache), as a running player or dashboard would have.
	legit := client(net.IPv4(127, 0, 0, 1))
	if code, _, err := get(ctx, legit, target, legitAuth); err != nil || code != http.StatusOK {
		return fmt.Errorf("legitimate user's first request: %d %v", code, err)
	}
	mc := client(net.IPv4(127, 0, 0, 1))
	before, err := scrape(ctx, mc, metricsURL, metricsAuth)
	if err != nil {
		return err
	}

	start := time.Now()
	deadline := start.Add(duration)
	var wg sync.WaitGroup
	var floodStatus sync.Map // int → *atomic.Int64
	var floodErrs atomic.Int64
	var seq atomic.Int64
	for i := range conns {
		var local net.IP
		if spread {
			local = net.IPv4(127, 0, 1+byte(i/250), 1+byte(i%250))
		}
		wg.Go(func() {
			c := client(local)
			for time.Now().Before(deadline) {
				auth := basic(victim, "wrong-"+strconv.FormatInt(seq.Add(1), 10))
				code, _, err := get(ctx, c, target, auth)
				if err != nil {
					floodErrs.Add(1)
					continue
				}
				n, _ := floodStatus.LoadOrStore(code, new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
			}
		})
	}

	var lat []time.Duration
	var legitBad, legitErrs int
	wg.Go(func() {
		for time.Now().Before(deadline) {
			t := time.Now()
			code, _, err := get(ctx, legit, target, legitAuth)
			d := time.Since(t)
			switch {
			case err != nil:
				legitErrs++
			case code != http.StatusOK:
				legitBad++
			default:
				lat = append(lat, d)
			}
		}
	})

	// Metrics every 250 ms: when the quarantine engages, and the argon2
	// count from then on.
	var samples []sample
	var scrapeErr error
	var mwg sync.WaitGroup
	stop := make(chan struct{})
	mwg.Go(func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				s, err := scrape(ctx, mc, metricsURL, metricsAuth)
				if err != nil {
					scrapeErr = err
					continue
				}
				s.at = time.Since(start)
				samples = append(samples, s)
			}
		}
	})
	wg.Wait()
	close(stop)
	mwg.Wait()
	after, err := scrape(ctx, mc, metricsURL, metricsAuth)
	if err != nil {
		// The scraper's address may be quarantined (-spread=false): keep
		// the last sample that could be read.
		if len(samples) == 0 {
			return fmt.Errorf("no /metrics sample during the flood: %w", err)
		}
		fmt.Printf("(/metrics unreadable at the end: %v; figures are from t=%s)\n", err, samples[len(samples)-1].at.Round(time.Millisecond))
		after = samples[len(samples)-1]
	} else {
		after.at = time.Since(start)
		samples = append(samples, after)
	}

	slices.Sort(lat)
	fmt.Printf("flood: %d connections x %s, wrong passwords for %q", conns, duration, victim)
	if spread {
		fmt.Printf(" (one loopback source address per connection)")
	}
	fmt.Println()
	var codes []string
	var floodTotal int64
	floodStatus.Range(func(k, v any) bool {
		n := v.(*atomic.Int64).Load()
		floodTotal += n
		codes = append(codes, fmt.Sprintf("%d: %d", k.(int), n))
		return true
	})
	slices.Sort(codes)
	fmt.Printf("flood responses: %d (%s), transport errors: %d\n", floodTotal, strings.Join(codes, ", "), floodErrs.Load())
	fmt.Printf("legit %s: %d requests OK, %d refused, %d errors; p50 %s, p99 %s, max %s\n",
		user, len(lat), legitBad, legitErrs, ms(percentile(lat, 0.50)), ms(percentile(lat, 0.99)), ms(percentile(lat, 1)))

	// When did the quarantine engage, and what did argon2 do after?
	engaged := -1
	for i, s := range samples {
		if s.quarantined > before.quarantined {
			engaged = i
			break
		}
	}
	fmt.Printf("argon2 verifications: before flood %.0f, end %.0f (+%.0f)\n", before.argon2, after.argon2, after.argon2-before.argon2)
	if engaged < 0 {
		fmt.Println("quarantine: never engaged (or /metrics could not be read)")
		return nil
	}
	q := samples[engaged]
	lastRise := q
	for _, s := range samples[engaged:] {
		if s.argon2 > lastRise.argon2 {
			lastRise = s
		}
	}
	fmt.Printf("quarantine engaged by t=%s (argon2 count %.0f, +%.0f since start)\n",
		q.at.Round(time.Millisecond), q.argon2, q.argon2-before.argon2)
	fmt.Printf("argon2 after quarantine engaged: +%.0f (last increase seen at t=%s); last %s of the flood: +%.0f\n",
		after.argon2-q.argon2, lastRise.at.Round(time.Millisecond),
		(after.at - lastRise.at).Round(time.Millisecond), after.argon2-lastRise.argon2)
	fmt.Printf("quarantined refusals: %.0f\n", after.quarantined-before.quarantined)
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	p99 := percentile(lat, 0.99)
	fmt.Printf("target legit p99 < 50 ms: %s; argon2 count flat once quarantined (runs in flight at that moment aside, within 1 s): %s\n",
		verdict(len(lat) > 0 && p99 < 50*time.Millisecond && legitBad+legitErrs == 0), verdict(lastRise.at-q.at <= time.Second))
	if legitBad+legitErrs > 0 {
		fmt.Println("WARNING: the legitimate user was refused or failed during the flood")
	}
	if scrapeErr != nil {
		fmt.Println("(some /metrics scrapes failed:", scrapeErr, ")")
	}
	return nil
}
