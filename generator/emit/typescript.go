package emit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/usagekit/usagekit/generator/model"
)

// TypeScript generates the browser client of the set's events: one typed
// function per active internal event (trackCreateIssue for create_issue,
// the names the Go code uses), enums as union types, and a small batching
// transport to the track endpoint (package runtime/trackapi). The module
// has no dependencies and no imports. Like Emit, it returns the source and
// writes nothing; the output is byte-identical for the same input.
func TypeScript(set *model.Set, opts Options) ([]byte, error) {
	g, diags := prepare(set, opts)
	if err := diags.Err(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(HeaderPrefix + opts.rootName() + HeaderSuffix + "\n\n")
	b.WriteString(tsPreamble)
	for _, ep := range g.plan.events {
		b.WriteString("\n")
		tsEvent(&b, ep)
	}
	b.WriteString(tsTransport)
	return b.Bytes(), nil
}

// tsReserved are the names the client module declares itself, which no
// definition may take (plan reserves them in the Go package's names too, so
// that one validation covers both outputs).
var tsReserved = []string{"TrackOptions", "QueuedEvent"}

// tsIdentifierKeys are the keys a track function takes the identifiers
// by; a property of that name would be the same key.
var tsIdentifierKeys = map[model.Identifier]string{model.Project: "projectId", model.Namespace: "namespaceId"}

func tsEvent(b *bytes.Buffer, ep *eventPlan) {
	ev := ep.ev
	for _, f := range ep.fields {
		if f.enum == "" {
			continue
		}
		tsDoc(b, "", fmt.Sprintf("A value of the %s property of the %s event.", f.prop.Name, ev.Action), f.prop.Description)
		fmt.Fprintf(b, "export type %s = %s;\n\n", f.enum, tsEnum(f.prop))
	}
	var members strings.Builder
	for _, id := range []model.Identifier{model.Project, model.Namespace} {
		if !ev.HasIdentifier(id) {
			continue
		}
		tsDoc(&members, "  ", fmt.Sprintf("The %s the event happened in, if any.", id))
		fmt.Fprintf(&members, "  %s?: number;\n", tsIdentifierKeys[id])
	}
	for _, f := range ep.fields {
		tsDoc(&members, "  ", f.prop.Description)
		fmt.Fprintf(&members, "  %s?: %s;\n", tsKey(f.prop.Name), tsType(f))
	}
	propsType := "{}"
	if members.Len() > 0 {
		propsType = "{\n" + members.String() + "}"
	}
	if ep.props != "" {
		tsDoc(b, "", fmt.Sprintf("%s are what track%s takes: the identifiers and additional\nproperties of the %s event. The user comes from the session, never from the page.", ep.props, ep.name, ev.Action))
		fmt.Fprintf(b, "export interface %s %s\n\n", ep.props, propsType)
		propsType = ep.props
	}
	paras := []string{fmt.Sprintf("Tracks the %s event.", ev.Action), ev.Description, facts(ev.ProductGroup, ev.Milestone)}
	if ev.MilestoneRemoved != "" {
		paras = append(paras, "@deprecated "+strings.TrimPrefix(deprecated(ev.MilestoneRemoved, ev.RemovedByURL), "Deprecated: "))
	}
	tsDoc(b, "", paras...)
	if propsType == "{}" {
		fmt.Fprintf(b, "export function track%s(): void {\n", ep.name)
	} else {
		fmt.Fprintf(b, "export function track%s(props: %s = {}): void {\n", ep.name, propsType)
	}
	b.WriteString("  enqueue({\n")
	fmt.Fprintf(b, "    event: %s,\n", tsString(ev.Action))
	for _, id := range []model.Identifier{model.Project, model.Namespace} {
		if ev.HasIdentifier(id) {
			fmt.Fprintf(b, "    %s_id: props.%s,\n", id, tsIdentifierKeys[id])
		}
	}
	if len(ep.fields) > 0 {
		b.WriteString("    additional_properties: {\n")
		for _, f := range ep.fields {
			fmt.Fprintf(b, "      %s: props%s,\n", tsKey(f.prop.Name), tsAccess(f.prop.Name))
		}
		b.WriteString("    },\n")
	}
	b.WriteString("  });\n}\n")
}

// tsDoc writes a JSDoc comment of paragraphs, each line prefixed by indent;
// "*/" in a description must not end the comment.
func tsDoc(w interface{ WriteString(string) (int, error) }, indent string, paras ...string) {
	var lines []string
	for _, p := range paras {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if len(lines) > 0 {
			lines = append(lines, "")
		}
		for l := range strings.SplitSeq(p, "\n") {
			lines = append(lines, strings.ReplaceAll(strings.TrimRight(l, " \t\r"), "*/", "*\\/"))
		}
	}
	if len(lines) == 0 {
		return
	}
	if len(lines) == 1 {
		w.WriteString(indent + "/** " + lines[0] + " */\n")
		return
	}
	w.WriteString(indent + "/**\n")
	for _, l := range lines {
		if l == "" {
			w.WriteString(indent + " *\n")
			continue
		}
		w.WriteString(indent + " * " + l + "\n")
	}
	w.WriteString(indent + " */\n")
}

// tsType is the TypeScript type of a property's values.
func tsType(f *field) string {
	if f.enum != "" {
		return f.enum
	}
	switch {
	case f.prop.Untyped:
		// GitLab's untyped custom properties: the endpoint takes a number
		// too, as its text.
		return "string | number"
	case f.prop.Type == model.Integer, f.prop.Type == model.Number:
		return "number"
	case f.prop.Type == model.Boolean:
		return "boolean"
	}
	return "string"
}

// tsEnum is the union of an enum's values as literal types.
func tsEnum(p *model.Property) string {
	vals := make([]string, len(p.Enum))
	for i, v := range p.Enum {
		switch p.Type {
		case model.Integer:
			vals[i] = strconv.FormatInt(v.Int, 10)
		case model.Number:
			if math.IsInf(v.Float, 0) || math.IsNaN(v.Float) {
				return "number"
			}
			vals[i] = strconv.FormatFloat(v.Float, 'g', -1, 64)
		case model.Boolean:
			vals[i] = strconv.FormatBool(v.Bool)
		default:
			vals[i] = tsString(v.Text)
		}
	}
	return strings.Join(vals, " | ")
}

// tsIdent matches the property names that need no quotes as object keys
// (reserved words are allowed there).
var tsIdent = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// tsKey is a property name as an object key.
func tsKey(name string) string {
	if tsIdent.MatchString(name) {
		return name
	}
	return tsString(name)
}

// tsAccess reads property name of an object.
func tsAccess(name string) string {
	if tsIdent.MatchString(name) {
		return "." + name
	}
	return "[" + tsString(name) + "]"
}

// tsString is s as a string literal: JSON's, which is valid TypeScript.
func tsString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

const tsPreamble = `/**
 * Tracking from the browser: one function per event, whose argument types
 * make a wrong property a compile error, and a transport that batches events
 * to the application's track endpoint (GitLab's track_events request). The
 * signed-in user comes from the session, never from the page.
 *
 * Events are queued and sent 50 at a time, at most flushInterval after the
 * first one is queued; when the page is hidden the queue goes out with
 * navigator.sendBeacon, so events of a page being left still arrive.
 */

/** Options of the transport; every field has a default. */
export interface TrackOptions {
  /** The URL of the track_events endpoint. Default "/api/v4/usage_data/track_events". */
  url?: string;
  /** Headers added to requests sent with fetch (beacons cannot carry headers). Default none. */
  headers?: { [name: string]: string };
  /** Milliseconds between the first queued event and the request that sends it. Default 1000. */
  flushInterval?: number;
  /** Ask the endpoint to also make a record of each event (send_to_snowplow). Default true. */
  sendToSnowplow?: boolean;
  /** Hears of requests that failed or were refused. Default: none. */
  onError?: (error: unknown) => void;
}

/** An event as the endpoint takes it. */
interface QueuedEvent {
  event: string;
  project_id?: number;
  namespace_id?: number;
  additional_properties?: { [name: string]: string | number | boolean | undefined };
  send_to_snowplow?: boolean;
}
`

const tsTransport = `
/** The most events one request carries, the endpoint's limit. */
const maxBatch = 50;

const settings = {
  url: "/api/v4/usage_data/track_events",
  headers: {} as { [name: string]: string },
  flushInterval: 1000,
  sendToSnowplow: true,
  onError: undefined as ((error: unknown) => void) | undefined,
};

const queue: QueuedEvent[] = [];
let timer = 0;

/** Configures the transport; call it before the first event. */
export function configure(options: TrackOptions): void {
  if (options.url !== undefined) settings.url = options.url;
  if (options.headers !== undefined) settings.headers = options.headers;
  if (options.flushInterval !== undefined) settings.flushInterval = options.flushInterval;
  if (options.sendToSnowplow !== undefined) settings.sendToSnowplow = options.sendToSnowplow;
  if (options.onError !== undefined) settings.onError = options.onError;
}

function enqueue(ev: QueuedEvent): void {
  if (settings.sendToSnowplow) ev.send_to_snowplow = true;
  queue.push(ev);
  if (queue.length >= maxBatch) {
    void flush();
  } else if (timer === 0) {
    timer = window.setTimeout(() => {
      timer = 0;
      void flush();
    }, settings.flushInterval);
  }
}

function take(): QueuedEvent[][] {
  if (timer !== 0) {
    window.clearTimeout(timer);
    timer = 0;
  }
  const batches: QueuedEvent[][] = [];
  while (queue.length > 0) batches.push(queue.splice(0, maxBatch));
  return batches;
}

/** Sends every queued event now; resolves when the requests are answered. */
export function flush(): Promise<void> {
  return Promise.all(take().map(post)).then(() => undefined);
}

function post(batch: QueuedEvent[]): Promise<void> {
  const headers: { [name: string]: string } = { "Content-Type": "application/json" };
  for (const name of Object.keys(settings.headers)) headers[name] = settings.headers[name];
  return fetch(settings.url, {
    method: "POST",
    credentials: "same-origin",
    headers,
    body: JSON.stringify({ events: batch }),
  }).then(
    (response) => {
      if (!response.ok) report(new Error("track_events answered " + response.status));
    },
    report,
  );
}

function report(error: unknown): void {
  if (settings.onError !== undefined) settings.onError(error);
}

/**
 * Sends the queue with navigator.sendBeacon, which outlives the page. The
 * body is JSON sent as text/plain: a beacon of another type would need a
 * CORS preflight, which beacons cannot make.
 */
function beacon(): void {
  for (const batch of take()) {
    const body = new Blob([JSON.stringify({ events: batch })], { type: "text/plain;charset=UTF-8" });
    if (typeof navigator.sendBeacon !== "function" || !navigator.sendBeacon(settings.url, body)) void post(batch);
  }
}

if (typeof document !== "undefined") {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") beacon();
  });
  window.addEventListener("pagehide", beacon);
}
`
