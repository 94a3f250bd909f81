// A value outside the property's enum: this file must not compile.
import { trackSearchCode } from "./usage";

trackSearchCode({ scope: "wikis" });
