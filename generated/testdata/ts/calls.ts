// Calls the generated client as an application would; it must compile.
import { configure, flush, trackCreateIssue, trackSearchCode, trackReopenIssue, type SearchCodeScope } from "./usage";

configure({ url: "/api/v4/usage_data/track_events", flushInterval: 500, onError: (e) => console.warn(e) });
const projectId = 10;
trackCreateIssue({ projectId, label: "incident", confidential: true, weight: 2 });
const scope: SearchCodeScope = "merge_requests";
trackSearchCode({ projectId, namespaceId: 100, scope, results_count: 3 });
trackReopenIssue();
void flush();
