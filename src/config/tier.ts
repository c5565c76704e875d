/**
 * Caller tiers. A leaf module: the limiter, the planner and the config loader all read it, and none of them may import
 * the others just for this name.
 */
import * as z from "../zod";

/** How much a caller pays for: premium is protected first, free is shed first. */
export const Tier = z.enum(["premium", "standard", "free"]);
export type Tier = z.infer<typeof Tier>;
