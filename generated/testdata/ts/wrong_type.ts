// A property of the wrong type: this file must not compile.
import { trackCreateIssue } from "./usage";

trackCreateIssue({ projectId: 10, confidential: "yes" });
