/**
 * The English tables behind meaning-bearing keys (issue 17): which words carry no meaning in a support question, which
 * words and phrases mean the same thing, and which concepts are actions. Plain data, so a tenant can extend it from
 * config (`cache.matching`, src/cache/policy.ts) and a reader can see every equivalence Detour assumes.
 *
 * The rule these tables serve: two questions may share an answer only when the words that differ are immaterial
 * (listed here as stop words), synonyms (mapped to one concept here) or inflections (the stemmer in meaning.ts).
 * When unsure, leave a word out: an unknown word stays material, which costs a cache miss, never a wrong answer.
 *
 * The core tables below are extended by lexicon-support.ts (general support vocabulary by desk); on a conflict the
 * core entry wins.
 */
import { SUPPORT_IMPLIED, SUPPORT_PHRASES, SUPPORT_STOP_WORDS, SUPPORT_SYNONYMS } from "./lexicon-support";

/**
 * Words that never change what a support question asks: function words, politeness, request framings and the
 * question words that only say "tell me" (how, what, where). Not here on purpose: negations (folded to `not`),
 * `when`/`why`/`how much`/`how long` (folded to time, reason, price, duration), direction words (on/off, in/out,
 * up/down, from, more/less) and quantities — each of those changes the answer.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  ...SUPPORT_STOP_WORDS,
  ...(
    "a an the i me my mine myself we us our you your yours he him his she her it its they them their this that these " +
    "those is am are was were be been being do does did doing done have has had having can could would should shall " +
    "will might must may how what whats which where who whom please pls hi hello hey thanks thank tell show " +
    "let lets want wanted need needs like would just also explain describe know im ive id youre to of at for with by " +
    "as about into there here some any way ways possible able go going get got getting make sure help someone " +
    "anyone anybody is it ok okay so and or but if then else already still actually really exactly quick question " +
    "process procedure steps step through via kindly now today currently usual usually normally " +
    "typically find see look check somewhere one thing things stuff again new in on at offer provide have take put place placed different another other arrive arrived arrives receive received get gets request requested ask asking permanently forever when why much many give policy work working works until till accept accepted"
  ).split(/\s+/),
]);

/** Words that negate: folded to the single concept `not`, which is always material. */
export const NEGATIONS: ReadonlySet<string> = new Set(
  "not no never cant cannot dont doesnt didnt isnt arent wasnt werent wont wouldnt couldnt shouldnt hasnt havent hadnt aint unable without".split(" "),
);

/**
 * Multi-word phrases, matched on canonical words before anything else, mapped to the words they stand for. Longest
 * first wins. A phrase can stand for two concepts ("unsubscribe" is cancel + subscription).
 */
export const PHRASES: Readonly<Record<string, string>> = {
  ...SUPPORT_PHRASES,
  "how much does": "price",
  "how much do": "price",
  "how much is": "price",
  "how much are": "price",
  "how much for": "price",
  "how long": "duration",
  // "How many users can I add?" asks a count, not how to add one ("many" alone is a stop word).
  "how many": "count",
  // "How many days…" asks how long, like "how long" (a count of other things stays material: "how many seats").
  "how many days": "duration",
  "how many weeks": "duration",
  "how many hours": "duration",
  "how many business days": "duration",
  "how many working days": "duration",
  "delivery time": "deliver duration",
  "shipping time": "deliver duration",
  "processing time": "duration",
  "when are you open": "hours",
  "when do you open": "hours",
  "where is": "track",
  "wheres": "track", // not a stop word: "where's my parcel" is "where is my parcel"
  "how does it work": "",
  "set up": "setup",
  "sim card": "sim",
  "pin code": "pin",
  "email address": "email",
  "what time": "time",
  "money back": "refund",
  // Not remembering a password is forgetting it (before the negation fold, which would make it "not remember").
  "cant remember": "reset",
  "cannot remember": "reset",
  "can not remember": "reset",
  "dont remember": "reset",
  "do not remember": "reset",
  // Framings that say nothing about what is asked: "the card on file" is my card, "right now" is now (a stop word).
  "on file": "",
  "right now": "",
  "ask for": "",
  "send back": "return",
  "bring back": "return",
  "take back": "return",
  // Support-desk vocabulary (held-out #1 as a development set): general equivalences, never one item's wording.
  "copy of": "download", // "get a copy of my invoice"
  "all my": "", // "download all my data" is "download my data" ("all devices" stays material)
  "all of my": "",
  "all our": "",
  "all of our": "",
  "report a lost": "lost",
  "report lost": "lost",
  "report my lost": "lost",
  "report a stolen": "lost",
  "report stolen": "lost",
  "report my stolen": "lost",
  "bank card": "card",
  "payment card": "card",
  "payment option": "card",
  "payment options": "card",
  "payment info": "card",
  "payment information": "card",
  "billing details": "card",
  "billing info": "card",
  "billing information": "card",
  "card details": "card",
  "pay with": "card", // "the card I pay with"
  "marketing emails": "newsletter",
  "marketing email": "newsletter",
  "promotional emails": "newsletter",
  "promotional email": "newsletter",
  "mailing list": "newsletter",
  "unsubscribe from": "cancel", // the object follows; "unsubscribe" alone is cancel + subscription
  "order status": "track order",
  "delivery status": "track",
  "shipping status": "track",
  "get on": "connect", // "get on the VPN / the wifi"
  "get onto": "connect",
  "give access": "share",
  "grant access": "share",
  "new user": "teammate",
  "sign up": "create account",
  "signup": "create account",
  "register": "create account",
  "log in": "login",
  "log into": "login",
  "log on": "login",
  "sign in": "login",
  "signin": "login",
  "log out": "logout",
  "sign out": "logout",
  "turn on": "enable",
  "switch on": "enable",
  "turn off": "disable",
  "switch off": "disable",
  "put on hold": "pause",
  "on hold": "pause",
  "customer service": "support",
  "customer support": "support",
  "customer care": "support",
  "help desk": "support",
  "get in touch": "contact",
  "two factor": "2fa",
  "two factor authentication": "2fa",
  "2 factor": "2fa",
  "multi factor": "2fa",
  "e mail": "email",
  "user name": "username",
  "payment method": "card",
  "payment details": "card",
  "credit card": "card",
  "debit card": "card",
  "promo code": "coupon",
  "discount code": "coupon",
  "voucher code": "coupon",
  "check in": "checkin",
  "check out": "checkout",
  "time off": "leave",
  "vacation days": "leave",
  "opening hours": "hours",
  "open hours": "hours",
  "business hours": "hours",
  "profile photo": "avatar",
  "profile picture": "avatar",
  "team member": "teammate",
  "phone number": "number",
  "mobile number": "number",
  "outside the country": "international",
  "cheaper plan": "downgrade subscription",
  "lower plan": "downgrade subscription",
  "higher plan": "upgrade subscription",
  "bank statement": "statement",
  "data usage": "data usage",
  "does not start": "not start",
  "wont turn on": "not start",
};

/**
 * One word (or its stem) → its concept. Actions and objects alike; a word not listed is its own concept. Entries are
 * keyed by the word as written and by its stem, so inflections of a listed word need no second entry.
 */
export const SYNONYMS: Readonly<Record<string, string>> = {
  ...SUPPORT_SYNONYMS,
  // actions
  cancel: "cancel", cancellation: "cancel", cancelation: "cancel", cancelled: "cancel", canceled: "cancel", terminate: "cancel", termination: "cancel", end: "cancel", stop: "cancel", quit: "cancel", discontinue: "cancel",
  unsubscribe: "cancel subscription",
  refund: "refund", reimburse: "refund", reimbursement: "refund", repay: "refund",
  upgrade: "upgrade", downgrade: "downgrade",
  reset: "reset", forgot: "reset", forget: "reset", forgotten: "reset", recover: "recover", restore: "recover",
  change: "change", update: "change", edit: "change", modify: "change", amend: "change", alter: "change", switch: "change", reschedule: "change", rebook: "change",
  swap: "exchange", exchange: "exchange",
  delete: "delete", remove: "delete", erase: "delete", close: "delete",
  create: "create", open: "open", setup: "setup", configure: "setup", set: "setup",
  enable: "enable", activate: "enable", disable: "disable", deactivate: "disable",
  block: "block", freeze: "block", lock: "block", unblock: "unblock", unfreeze: "unblock", unlock: "unblock",
  track: "track", trace: "track",
  contact: "contact", reach: "contact", talk: "contact", speak: "contact", call: "contact",
  pay: "pay", payment: "pay", pays: "pay", charge: "charge", charged: "charge", bill: "invoice",
  buy: "buy", purchase: "buy", bought: "buy", order: "order", ordered: "order",
  return: "return", returned: "return",
  apply: "apply", use: "apply", enter: "apply", redeem: "apply",
  download: "download", export: "download", import: "import", upload: "add", add: "add", invite: "add",
  install: "install", uninstall: "uninstall",
  transfer: "send", send: "send", wire: "send",
  dispute: "dispute", contest: "dispute", challenge: "dispute",
  increase: "increase", raise: "increase", decrease: "decrease", lower: "decrease", reduce: "decrease",
  choose: "select", select: "select", pick: "select",
  submit: "submit",
  verify: "verify", confirm: "verify",
  connect: "connect", disconnect: "disconnect", login: "login", logout: "logout",
  renew: "renew", pause: "pause", resume: "resume",
  lost: "lost", lose: "lost", damaged: "damaged", broken: "damaged", break: "damaged",
  ship: "deliver", shipping: "deliver", shipment: "deliver", deliver: "deliver", delivery: "deliver", post: "deliver", mail: "deliver",
  include: "include", included: "include",
  summarize: "summarize", summarise: "summarize", summary: "summarize",
  start: "start", boot: "start",
  keep: "keep", retain: "keep",
  // objects
  subscription: "subscription", subscribe: "subscription", plan: "subscription", membership: "subscription", tier: "subscription",
  account: "account", profile: "account",
  password: "password", passcode: "password", pw: "password",
  email: "email",
  username: "username", handle: "username",
  card: "card",
  invoice: "invoice", receipt: "invoice", billing: "invoice",
  support: "support", human: "support", agent: "support", person: "support", representative: "support", rep: "support",
  package: "order", parcel: "order",
  item: "item", product: "item", thing: "item", something: "item", anything: "item", // "item" is a scope noun
  coupon: "coupon", voucher: "coupon",
  booking: "booking", reservation: "booking",
  baggage: "baggage", luggage: "baggage", bag: "baggage", bags: "baggage",
  allowance: "limit", limit: "limit", bring: "limit",
  teammate: "teammate", colleague: "teammate", coworker: "teammate", user: "teammate", member: "teammate",
  onboard: "add", share: "share", access: "login", follow: "track", stolen: "lost", newsletter: "newsletter",
  workspace: "team", team: "team", organization: "team",
  notification: "notification", notifications: "notification", alert: "notification",
  picture: "avatar", photo: "avatar", avatar: "avatar",
  internationally: "international", abroad: "international", overseas: "international", worldwide: "international", international: "international",
  cost: "price", price: "price", fee: "price", fees: "price", charges: "price", pricing: "price", expensive: "price",
  reason: "reason",
  long: "duration", duration: "duration",
  time: "time",
  available: "stock", availability: "stock", stock: "stock",
  laptop: "computer", computer: "computer", pc: "computer",
  phone: "phone", mobile: "phone", cell: "phone", smartphone: "phone",
  app: "app", application: "app",
  pin: "pin",
  data: "data",
  usage: "usage",
  everywhere: "all", devices: "all", device: "all", all: "all", every: "all",
  transaction: "charge",
  used: "usage",
};

/** Concepts that name an action: the verb of the question. The first one found is the question's action. */
export const ACTIONS: ReadonlySet<string> = new Set(
  ("share cancel refund upgrade downgrade reset recover change exchange delete create open setup enable disable block unblock " +
    "track contact pay charge buy return apply download export import upload add install uninstall send receive " +
    "dispute increase decrease select submit verify connect disconnect login logout renew pause resume lost " +
    "damaged deliver include start keep").split(" "),
);

/**
 * Words that give a direction to the concept after them. With two or more objects their order matters ("100 dollars
 * to euros" is not "100 euros to dollars"), so the object after one is marked `to:…` / `from:…`.
 */
export const DIRECTIONS: Readonly<Record<string, string>> = { to: "to", into: "to", from: "from", than: "than" };

/** Particles that may stand apart from their verb ("send it back"); see rejoinParticles in meaning.ts. */
export const PARTICLES: ReadonlySet<string> = new Set(["back", "on", "off", "out", "in", "up", "down", "onto"]);

/**
 * Concepts an action already implies, dropped when it is present: "my parcel was delivered" asks about delivery;
 * "log in to my account" is logging in; "return something I bought" is a return; "download and install the app" is
 * installing it; "switch to a cheaper plan" is a downgrade.
 */
export const IMPLIED: Readonly<Record<string, readonly string[]>> = {
  ...SUPPORT_IMPLIED,
  deliver: ["order"],
  login: ["account"],
  logout: ["account"],
  return: ["buy", "order"],
  install: ["download"],
  upgrade: ["change"],
  downgrade: ["change"],
};

/**
 * Scope nouns: "on my account", "of the app", "the room". They say where, not what, so they count as the object only
 * when nothing else is acted on ("delete my account" keeps it; "enable 2FA on my account" is about 2FA).
 */
export const SCOPE_NOUNS: ReadonlySet<string> = new Set(["account", "app", "team", "item", "room", "website", "site"]);

/** Question words that change the answer only when they open a sentence ("When will…", "Why was…"). */
export const OPENING_QUESTION_WORDS: Readonly<Record<string, string>> = { when: "time", why: "reason" };
