package main

import (
	"strings"
	"testing"
)

func TestPortalRouteTableMatchesSegmentsAndRoles(t *testing.T) {
	cases := []struct {
		method, path string
		role         string
		allowed      bool
		found        bool
	}{
		{"GET", "/v1/merchant/payments/pay_1", "viewer", true, true},
		{"POST", "/v1/merchant/payments/pay_1/refunds", "cashier", true, true},
		{"POST", "/v1/merchant/payments/pay_1/refunds", "viewer", false, true},
		{"PUT", "/v1/merchant/settlement-account", "cashier", false, true},
		{"PUT", "/v1/merchant/settlement-account", "owner", true, true},
		{"POST", "/v1/merchant/codes/c_1/reset-requests", "cashier", false, true},
		{"GET", "/v1/merchant/users", "viewer", false, true},
		{"DELETE", "/v1/merchant/users/mu_1", "owner", true, true},
		{"GET", "/v1/merchant/application", "cashier", false, true},
		// A segment "*" stands for exactly one, non-empty segment.
		{"GET", "/v1/merchant/payments/a/b", "owner", false, false},
		{"GET", "/v1/merchant/codes//image", "owner", false, false},
		// Routes the portal does not offer, whatever the role.
		{"GET", "/v1/staff/whoami", "owner", false, false},
		{"DELETE", "/v1/merchant/payments/pay_1", "owner", false, false},
	}
	for _, c := range cases {
		r := findPortalRoute(c.method, c.path)
		if (r != nil) != c.found {
			t.Errorf("%s %s: found=%v, want %v", c.method, c.path, r != nil, c.found)
			continue
		}
		if r != nil && (r.roles&portalRoleBits[c.role] != 0) != c.allowed {
			t.Errorf("%s %s as %s: allowed=%v, want %v", c.method, c.path, c.role, !c.allowed,
				c.allowed)
		}
	}
	if portalRoleBits["admin"] != 0 {
		t.Errorf("an unknown role must have no bits")
	}
}

func TestCashierRefundLimit(t *testing.T) {
	p := &portal{cashierRefundLimit: 50000}
	for _, c := range []struct {
		body string
		ok   bool
	}{
		{`{"amount":{"currency":"CNY","amount_minor":"50000"},"out_refund_no":"R1"}`, true},
		{`{"amount":{"currency":"CNY","amount_minor":50000}}`, true},
		{`{"amount":{"currency":"CNY","amount_minor":"50001"}}`, false},
		{`{"amount":{"currency":"CNY"}}`, false},
		{`{"amount":{"currency":"CNY","amount_minor":"1e9"}}`, false},
		{`not json`, false},
	} {
		if msg := p.overCashierLimit([]byte(c.body)); (msg == "") != c.ok {
			t.Errorf("%s: %q", c.body, msg)
		}
	}
}

func TestACashiersDayIsTheMerchantsDay(t *testing.T) {
	shanghai := loadZone("Asia/Shanghai")
	// 17:30 UTC on 1 December is half past one on 2 December in Shanghai.
	day, ok := paymentDay([]byte(`{"created_at":"2026-12-01T17:30:00.123Z"}`), shanghai)
	if !ok || day != "2026-12-02" {
		t.Fatalf("paymentDay = %q, %v; want 2026-12-02", day, ok)
	}
	if _, ok := paymentDay([]byte(`{"payment_id":"pay_1"}`), shanghai); ok {
		t.Fatal("a payment without created_at has a day")
	}
	if got := loadZone("No/Such_Zone").String(); got != "UTC+8" {
		t.Fatalf("unknown zone = %s, want UTC+8", got)
	}
	e := cashierRefusal("business_date", "2026-12-02")
	if e.body.Field != "business_date" || !strings.Contains(e.body.Message,
		"a cashier works on today's payments only (2026-12-02") {
		t.Fatalf("refusal = %+v", e.body)
	}
}
