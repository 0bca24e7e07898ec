package daemon

import (
	"fmt"
	"os"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/protocols/savant"
	"github.com/streamgate/streamgate/protocols/savant/savanturl"
)

// savantConfig maps the savant section onto the writer's options.
func savantConfig(s config.Savant) (savant.Config, error) {
	u, err := savanturl.Parse(s.URL)
	if err != nil {
		return savant.Config{}, fmt.Errorf("savant: url: %w", err)
	}
	return savant.Config{URL: u, SendTimeout: s.SendTimeout, SendRetries: s.SendRetries, ReceiveTimeout: s.ReceiveTimeout,
		ReceiveRetries: s.ReceiveRetries, SendHWM: s.SendHWM, ReceiveHWM: s.ReceiveHWM,
		FixIPCPermissions: os.FileMode(s.FixIPCPermissions), QueueSize: max(1, s.QueueSize)}, nil
}
