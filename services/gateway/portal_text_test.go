package main

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The portal's words live in portal.js (T.zh, T.en) and are picked by t(key). Like the cashier's
// (TestCashierTextHasEveryKeyInBothLanguages), every key must be in both languages with a
// non-empty value and the same placeholders, and every key the page uses (t(...) in the script,
// data-t in index.html) must be in the tables. A key built at run time (t(`role_${…}`)) is
// checked for every value the prefix takes, listed here: a new prefix fails until it is added.

var portalDynamicKeys = map[string][]string{
	"alert_kind_": {"SINGLE_PAYMENT", "HOURLY_VOLUME", "NEW_REGION"}, // risk.proto Alert.kind
	"kind_":       {"CORPORATE", "PERSONAL"},                         // settlement account kinds
	"mode_":       {"IMMEDIATE", "GRACEFUL"},                         // code reset modes
	"reason_":     {"DEVICE_LOST", "ACCOUNT_BANNED", "UNUSUAL_LOGIN", "DAMAGED", "CHANNEL_CHANGE"},
	"role_":       nil, // portalRoleBits, filled below
}

var (
	portalTextEntry   = regexp.MustCompile(`([A-Za-z0-9_]+):\s*'((?:[^'\\]|\\.)*)'`)
	portalPlaceholder = regexp.MustCompile(`\{\d\}`)
	portalTCall       = regexp.MustCompile(`(?:^|[^\w.$])t\(`)
	portalLiteral     = regexp.MustCompile(`^'([a-z0-9_]+)'`)
	portalTernary     = regexp.MustCompile(`\?\s*'([a-z0-9_]+)'\s*:\s*'([a-z0-9_]+)'$`)
	portalTemplate    = regexp.MustCompile("^`([a-z_]+)\\$\\{[^}]+\\}`$")
	portalDataT       = regexp.MustCompile(`data-t="([^"]*)"`)
	portalPageEntry   = regexp.MustCompile(`(?m)^\s+([a-z_]+): \{ roles:`)
)

func portalFile(t *testing.T, name string) string {
	t.Helper()
	b, err := portalFiles.ReadFile("portal/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// between is the text of src from the line starting with start to the next line equal to end.
func between(t *testing.T, src, start, end string) string {
	t.Helper()
	i := strings.Index(src, "\n"+start)
	if i < 0 {
		t.Fatalf("portal.js has no line %q", start)
	}
	rest := src[i+1+len(start):]
	j := strings.Index(rest, "\n"+end+"\n")
	if j < 0 {
		t.Fatalf("portal.js: no %q after %q", end, start)
	}
	return rest[:j]
}

// portalTable parses one language's entries, refusing anything that is not `key: 'text'`.
func portalTable(t *testing.T, block, lang string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range portalTextEntry.FindAllStringSubmatch(block, -1) {
		if _, dup := out[m[1]]; dup {
			t.Errorf("%s: key %s twice", lang, m[1])
		}
		out[m[1]] = strings.ReplaceAll(m[2], `\'`, "'")
	}
	if rest := strings.Trim(portalTextEntry.ReplaceAllString(block, ""), " ,\n"); rest != "" {
		t.Errorf("%s: not a key: 'text' entry: %.80q", lang, rest)
	}
	return out
}

// callArgument is the text inside the parentheses that open at src[open].
func callArgument(src string, open int) string {
	depth, quote := 0, byte(0)
	for i := open; i < len(src); i++ {
		c := src[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return src[open+1 : i]
			}
		}
	}
	return src[open+1:]
}

func TestPortalTextHasEveryKeyInBothLanguagesAndEveryUsedKey(t *testing.T) {
	script := portalFile(t, "portal.js")
	tables := between(t, script, "const T = {", "};") + "\n"
	zh := portalTable(t, between(t, tables, "  zh: {", "  },"), "zh")
	en := portalTable(t, between(t, tables, "  en: {", "  },"), "en")
	if len(zh) < 100 {
		t.Fatalf("only %d Chinese texts parsed: the table's layout changed", len(zh))
	}
	for _, pair := range []struct {
		name      string
		one, more map[string]string
	}{{"zh", zh, en}, {"en", en, zh}} {
		for k, v := range pair.one {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s is empty", pair.name, k)
			}
			other, ok := pair.more[k]
			if !ok {
				t.Errorf("%s has %s, the other language has not", pair.name, k)
				continue
			}
			a, b := portalPlaceholder.FindAllString(v, -1), portalPlaceholder.FindAllString(other, -1)
			sort.Strings(a)
			sort.Strings(b)
			if strings.Join(a, "") != strings.Join(b, "") {
				t.Errorf("%s: placeholders differ between the languages: %q / %q", k, v, other)
			}
		}
	}

	for role := range portalRoleBits {
		portalDynamicKeys["role_"] = append(portalDynamicKeys["role_"], role)
	}
	used := map[string]string{} // key -> where
	for _, m := range portalDataT.FindAllStringSubmatch(portalFile(t, "index.html"), -1) {
		used[m[1]] = "index.html data-t"
	}
	for _, m := range portalPageEntry.FindAllStringSubmatch(between(t, script, "const pages = {", "};"), -1) {
		used[m[1]] = "a page's name in the nav"
	}
	if len(used) < 9 {
		t.Fatalf("only %d keys from index.html and the pages table", len(used))
	}
	calls := 0
	for _, loc := range portalTCall.FindAllStringIndex(script, -1) {
		arg := strings.TrimSpace(callArgument(script, loc[1]-1))
		calls++
		switch {
		case portalLiteral.MatchString(arg):
			used[portalLiteral.FindStringSubmatch(arg)[1]] = "t(" + arg + ")"
		case portalTernary.MatchString(arg):
			m := portalTernary.FindStringSubmatch(arg)
			used[m[1]], used[m[2]] = "t("+arg+")", "t("+arg+")"
		case portalTemplate.MatchString(arg):
			prefix := portalTemplate.FindStringSubmatch(arg)[1]
			values, ok := portalDynamicKeys[prefix]
			if !ok {
				t.Errorf("t(%s): a key built from %q: list its values in portalDynamicKeys", arg, prefix)
			}
			for _, v := range values {
				used[prefix+v] = "t(" + arg + ")"
			}
		case arg == "key, ...args" || arg == "name" || arg == "e.dataset.t":
			// The definition; page names and data-t, collected above.
		default:
			t.Errorf("t(%s): a key this test cannot check; use a literal or add the form here", arg)
		}
	}
	if calls < 100 {
		t.Fatalf("only %d t(...) calls found: the pattern no longer matches the script", calls)
	}
	for k, where := range used {
		if _, ok := zh[k]; !ok {
			t.Errorf("%s uses %s, which the Chinese table lacks", where, k)
		}
		if _, ok := en[k]; !ok {
			t.Errorf("%s uses %s, which the English table lacks", where, k)
		}
	}
}
