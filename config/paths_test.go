package config_test

import (
	"testing"

	"github.com/streamgate/streamgate/config"
)

// TestPathsFindOrder: the configuration a request path gets does not depend
// on the order of the file: an exact name first, then the regular
// expressions in file order, then all_others (or all), wherever it is written.
func TestPathsFindOrder(t *testing.T) {
	const yml = `
paths:
  all_others:
    publishUser: other
  ~^cams/.+$:
    publishUser: regex-first
    savantLabels: [camera]
  ~^cams/(a|b)$:
    publishUser: regex-second
  cams/a:
    publishUser: exact
  all:
    publishUser: all
`
	c, err := config.Parse("paths.yml", []byte(yml), nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for _, tc := range []struct{ path, want string }{
		{"cams/a", "cams/a"},
		{"cams/b", "~^cams/.+$"},
		{"cams/x", "~^cams/.+$"},
		{"other", "all_others"},
	} {
		np, ok := c.Paths.Find(tc.path)
		if !ok {
			t.Errorf("Find(%q): no path", tc.path)
			continue
		}
		if np.Name != tc.want {
			t.Errorf("Find(%q) = %q (publishUser %q), want %q", tc.path, np.Name, np.PublishUser, tc.want)
		}
	}
	if np, _ := c.Paths.Find("cams/x"); np != nil && (len(np.SavantLabels) != 1 || np.SavantLabels[0] != "camera") {
		t.Errorf("Find(cams/x).SavantLabels = %v, want [camera]", np.SavantLabels)
	}
}
