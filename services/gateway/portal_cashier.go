package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
)

// A cashier works on today's payments (docs/portal.md, "Cashier rules"): it lists only today's
// (business_date must be today), opens only payments created today, and refunds only those,
// each within the cashier's limit. "Today" is the merchant's day in its own time zone (the
// merchant's time_zone, Asia/Shanghai when it has none). The gateway enforces this, like the
// rest of the role table, because the services know merchants, not portal roles.

const (
	paymentsRoute = "/v1/merchant/payments"
	paymentRoute  = "/v1/merchant/payments/*"
	// What a cashier may do, said in every refusal.
	cashierMay = "a cashier works on today's payments only (%s, the merchant's day): list them, " +
		"open them and refund them within the cashier's limit; ask an owner for other days"
)

var defaultMerchantZone = loadZone("Asia/Shanghai")

// loadZone is the named zone, or UTC+8 (China's, without daylight saving) when the machine has
// no zone data for it.
func loadZone(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.FixedZone("UTC+8", 8*3600)
}

// dayIn is the calendar date (YYYY-MM-DD) of t in loc.
func dayIn(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02")
}

// cashierRefusal is the 403 a cashier gets for another day's payments.
func cashierRefusal(field, today string) *apiError {
	e := newAPIError(codes.PermissionDenied, field+": "+strings.Replace(cashierMay, "%s", today, 1))
	e.body.Field = field
	return e
}

// fetchAs runs a GET of path through the REST handler as the request's merchant (the request
// info already names it) and returns the recorded answer.
func (p *portal) fetchAs(r *http.Request, path string) *httptest.ResponseRecorder {
	r2, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, path, nil)
	r2.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	forwardTo(p.next, rec, r2, nil)
	return rec
}

// merchantZone is the merchant's time zone (its time_zone, else Asia/Shanghai).
func (p *portal) merchantZone(r *http.Request) *time.Location {
	rec := p.fetchAs(r, "/v1/merchant")
	var m struct {
		TimeZone string `json:"time_zone"`
	}
	if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &m) == nil && m.TimeZone != "" {
		if l, err := time.LoadLocation(m.TimeZone); err == nil {
			return l
		}
	}
	return defaultMerchantZone
}

// cashierServe serves a cashier's payment route, or refuses it; it reports whether it wrote the
// answer (false: forward the request as usual).
func (p *portal) cashierServe(w http.ResponseWriter, r *http.Request, route *portalRoute,
	body []byte) bool {
	switch route.pattern {
	case paymentsRoute:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return false // taking a payment: today's by nature
		}
		today := dayIn(time.Now(), p.merchantZone(r))
		if r.URL.Query().Get("business_date") != today {
			cashierRefusal("business_date", today).write(w)
			return true
		}
		return false
	case paymentRoute, refundRoute:
		id := strings.Split(r.URL.Path, "/")[4]
		loc := p.merchantZone(r)
		today := dayIn(time.Now(), loc)
		rec := p.fetchAs(r, "/v1/merchant/payments/"+id)
		if rec.Code != http.StatusOK {
			// Not found (another merchant's, or none) and other errors: as the service said.
			copyRecorded(w, rec)
			return true
		}
		day, ok := paymentDay(rec.Body.Bytes(), loc)
		if !ok || day != today {
			cashierRefusal("payment_id", today).write(w)
			return true
		}
		if route.pattern == paymentRoute {
			copyRecorded(w, rec)
			return true
		}
		if msg := p.overCashierLimit(body); msg != "" {
			e := newAPIError(codes.PermissionDenied, msg)
			e.body.Field = "amount"
			e.write(w)
			return true
		}
		return false
	}
	return false
}

// paymentDay is the date in loc a payment (its REST JSON) was created on.
func paymentDay(body []byte, loc *time.Location) (string, bool) {
	var pay struct {
		CreatedAt string `json:"created_at"`
	}
	if json.Unmarshal(body, &pay) != nil {
		return "", false
	}
	at, err := time.Parse(time.RFC3339Nano, pay.CreatedAt)
	if err != nil {
		return "", false
	}
	return dayIn(at, loc), true
}

func copyRecorded(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}
