package daemon_test

import (
	"testing"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/daemon"
)

func TestConnectionLimitsFitTheDescriptorLimit(t *testing.T) {
	tests := []struct {
		name        string
		maxConns    int
		nofile      uint64
		want        int
		wantLowered bool
	}{
		{"fits", 10000, 1 << 20, 10000, false},
		{"lowered to leave the reserve", 10000, 4096, 4096 - 128, true},
		{"tiny limit: half", 10000, 200, 100, true},
		{"0 stays off", 0, 64, 0, false},
		{"unknown descriptor limit", 10000, 0, 10000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			c.MaxConnections, c.MaxConnectionsPerIP = tt.maxConns, 7
			got, perIP, lowered := daemon.ConnectionLimits(c, tt.nofile)
			if got != tt.want || lowered != tt.wantLowered || perIP != 7 {
				t.Errorf("ConnectionLimits = %d, %d, %v; want %d, 7, %v", got, perIP, lowered, tt.want, tt.wantLowered)
			}
		})
	}
}
