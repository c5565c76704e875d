/**
 * General English support vocabulary, added to the core tables in lexicon.ts (which win on a conflict): how customers
 * and employees say the same thing in chat — "sign in" for log in, "delivery fee" for shipping cost, "get it back" for
 * restore, "pay stub" for payslip, "is there a way to" for how do I. Grouped by desk (accounts, billing, shipping,
 * product, IT, HR) so a reader can check each equivalence; every entry is a general one, never one test item's wording.
 *
 * Same rule as lexicon.ts: only words that mean the same thing in a support question share a concept. When a word has
 * two senses that answer differently ("file" the noun and "file a claim"), the phrase table splits them first.
 */

/** Chat filler and framings that never change what is asked ("is there a way to", "I think", "accidentally"). */
export const SUPPORT_STOP_WORDS: readonly string[] = (
  "using yet accidentally accidently mistakenly somehow anyway anyways btw basically honestly literally asap urgently " +
    "quickly think guess wondering wonder maybe perhaps possibly try trying tried u ur r wanna gonna gotta " +
    "everything usually generally exact exactly properly whole entire few couple stuff plz " +
    "thx ty lol haha omg ugh hmm idk ill well wed hows theres thats youll youd theyre weve"
).split(/\s+/);

/** Multi-word phrases → concepts ("" drops the phrase: it only frames the question). */
export const SUPPORT_PHRASES: Readonly<Record<string, string>> = {
  // Framings: asking how, not saying what ("can't figure out how to", "is there a way to").
  "figure out": "",
  "cant figure out": "",
  "cannot figure out": "",
  "can not figure out": "",
  "dont know how": "",
  "do not know how": "",
  "not sure how": "",
  "no idea how": "",
  "cant work out": "",
  "cant find how": "",
  "is there a way": "",
  "is there any way": "",
  "whats the best way": "",
  "what is the best way": "",
  "what do i need to do": "",
  "what do i have to do": "",
  "what should i do": "",
  "where do i go": "",
  "any chance": "",
  "do you know": "",
  "by mistake": "",
  "by accident": "",
  "i can use": "", // "is there an API I can use"
  "we can use": "",
  // Where the asker is, when it does not change the answer ("how do I get on the VPN from home").
  "from home": "",
  "at home": "",
  "working from home": "",
  "work from home": "",
  wfh: "",
  // Arriving: a stop word like "arrive" (what arrived is the question's object, not the arriving).
  "show up": "",
  "shown up": "",
  "showed up": "",
  "shows up": "",
  // Not arrived yet is asking where it is ("my refund hasn't arrived" is "where is my refund").
  "hasnt arrived": "track",
  "has not arrived": "track",
  "hasnt come": "track",
  "has not come": "track",
  "hasnt shown up": "track",
  "hasnt turned up": "track",
  "not arrived yet": "track",
  "not here yet": "track",
  "still not here": "track",
  "still waiting for": "track",
  "havent received": "track",
  "have not received": "track",
  "havent got": "track",
  "still havent got": "track",
  // Asking after something on its way: where it is.
  "what happened to": "track",
  "any update": "track",
  "any updates": "track",
  "any news": "track",
  "status of": "track",
  "any update on": "track", // not "update on": a particle verb would swallow "update the email on my account"
  "any updates on": "track",
  "any news on": "track",
  "on its way": "track",
  "on the way": "track",
  "how come": "reason",
  // Accounts
  "get into my account": "login", // not "get into" alone: "get into the office" is no login
  "get into the account": "login",
  "account manager": "accountmanager", // not my manager
  "user id": "username",
  "login id": "username",
  "log onto": "login",
  "sign into": "login",
  "make an account": "create account",
  "make a new account": "create account",
  "create an account": "create account",
  "pick a different": "change",
  "pick a new": "change",
  "choose a different": "change",
  "choose a new": "change",
  "use a different": "change",
  "set a new": "change",
  "get rid of": "delete",
  "get back": "recover", // "get it back", "get my files back" ("money back" is a refund: matched first)
  "two step": "2fa",
  "2 step": "2fa",
  "two step verification": "2fa",
  "2 step verification": "2fa",
  "two factor auth": "2fa",
  "2 factor authentication": "2fa",
  "second factor": "2fa",
  "authenticator app": "2fa",
  "display name": "displayname",
  "screen name": "username",
  "login name": "username",
  "get hold of": "contact",
  "real person": "support",
  "live agent": "support",
  "cell number": "number",
  "contact number": "number",
  "telephone number": "number",
  // Billing
  "bank details": "bankaccount",
  "bank account": "bankaccount",
  "bank account details": "bankaccount",
  "bank info": "bankaccount",
  "banking details": "bankaccount",
  "billing history": "invoice history",
  "payment history": "invoice history",
  "past payments": "invoice history",
  "previous payments": "invoice history",
  "past invoices": "invoice history",
  "previous invoices": "invoice history",
  "invoice history": "invoice history",
  "order history": "order history",
  "past orders": "order history",
  "previous orders": "order history",
  "purchase history": "order history",
  "what do you charge": "price",
  "what does it cost": "price",
  "how much do you charge": "price",
  "double charged": "charge twice",
  "charged double": "charge twice",
  "charged me twice": "charge twice",
  "ways to pay": "card",
  "ways can i pay": "card",
  "ways i can pay": "card",
  "options to pay": "card",
  "methods of payment": "card",
  "payment methods": "card",
  "from renewing": "", // "stop my membership from renewing" is cancelling it
  "from auto renewing": "",
  "move to": "change", // "move to a bigger plan"
  "bigger plan": "upgrade subscription",
  "larger plan": "upgrade subscription",
  "higher tier": "upgrade subscription",
  "smaller plan": "downgrade subscription",
  "lower tier": "downgrade subscription",
  // Shipping
  "pick up": "pickup",
  "click and collect": "pickup",
  "delivery fee": "deliver price",
  "shipping fee": "deliver price",
  "postage": "deliver price",
  "shipping address": "deliver address",
  "delivery address": "deliver address",
  "tracking number": "track",
  "tracking link": "track",
  "tracking code": "track",
  "in pieces": "damaged",
  "in stock": "stock",
  // Product
  "print out": "print",
  "human resources": "hr",
  "people team": "hr",
  "time sheet": "timesheet",
  "pay rise": "increase salary",
  "pay raise": "increase salary",
  "salary increase": "increase salary",
  "hand in my notice": "resign",
  "give notice": "resign",
  "quit my job": "resign",
  "dark theme": "dark mode",
  "night mode": "dark mode",
  "light theme": "light mode",
  "wi fi": "wifi",
  "csv file": "csv", // a format named with "file" is the format
  "pdf file": "pdf",
  "excel file": "spreadsheet",
  "excel sheet": "spreadsheet",
  // IT
  "new starter": "employee",
  "new hire": "employee",
  "new joiner": "employee",
  "staff member": "employee",
  // HR
  "file a": "submit", // "file a claim / a ticket": the verb ("a deleted file" is the noun)
  "file an": "submit",
  "expense claim": "expense",
  "expense report": "expense",
  "expenses claim": "expense",
  "expense form": "expense",
  "pay day": "payday",
  "get paid": "payday",
  "gets paid": "payday",
  "getting paid": "payday",
  "salary paid": "payday",
  "what day": "time",
  "which day": "time",
  "what date": "time",
  "pay stub": "payslip",
  "pay slip": "payslip",
  "wage slip": "payslip",
  "salary slip": "payslip",
  "days off": "leave",
  "day off": "leave",
  "annual leave": "leave",
  "holiday leave": "leave",
  "book leave": "leave",
  "book holiday leave": "leave", // not "book a holiday": that is a trip
  "book annual leave": "leave",
  "book time off": "leave",
  "book days off": "leave",
  "book a day off": "leave",
  "public holiday": "publicholiday",
  "bank holiday": "publicholiday",
  "national holiday": "publicholiday",
  "call in sick": "sick",
  "report sick": "sick",
  "sick day": "sick",
  "sick leave": "sick",
  "off sick": "sick",
};

/** Words → concepts. */
export const SUPPORT_SYNONYMS: Readonly<Record<string, string>> = {
  // accounts
  signin: "login", relogin: "login", pwd: "password", passwd: "password", userid: "username",
  everyone: "all", everybody: "all",
  // billing
  paycheck: "payday", payday: "payday", payslip: "payslip", paystub: "payslip",
  yearly: "annual", annually: "annual", annual: "annual", monthly: "month",
  // shipping
  pickup: "pickup",
  weekends: "weekend", weekend: "weekend",
  shop: "store", store: "store",
  // product
  doc: "document", docs: "document", document: "document", file: "document",
  theme: "mode",
  spreadsheet: "spreadsheet", excel: "spreadsheet", xlsx: "spreadsheet",
  integrate: "connect", integration: "connect", sync: "connect",
  retrieve: "recover", undelete: "recover",
  // IT
  machine: "computer", desktop: "computer", macbook: "computer",
  wifi: "wifi",
  // HR
  employee: "employee", staff: "employee",
  vacation: "leave", holiday: "leave", holidays: "leave", pto: "leave",
  salary: "salary", wage: "salary", wages: "salary", payroll: "salary",
  expense: "expense", expenses: "expense",
  sick: "sick",
  resign: "resign", resignation: "resign",
  complain: "complaint", complaint: "complaint", guarantee: "warranty", warranty: "warranty",
  screen: "screen", headphones: "headset", headset: "headset",
  software: "app", reboot: "restart", restart: "restart",
  boss: "manager", supervisor: "manager", manager: "manager",
  cracked: "damaged", smashed: "damaged", crushed: "damaged", shattered: "damaged", dented: "damaged",
  mute: "disable", silence: "disable",
};

/**
 * Chat shorthand and the misspellings support desks see most, each of one word only: read as the word meant, before
 * anything else (so "recieved" is "received", a stop word like it).
 */
export const SUPPORT_SPELLINGS: Readonly<Record<string, string>> = {
  acct: "account", acount: "account", accout: "account",
  addr: "address", adress: "address", adres: "address",
  pasword: "password", passowrd: "password", passwrod: "password", passord: "password",
  recieve: "receive", recieved: "received",
  cancell: "cancel", cancle: "cancel",
  subcription: "subscription", subscribtion: "subscription", subsciption: "subscription", subscrption: "subscription",
  delivary: "delivery", delievery: "delivery", deliverey: "delivery",
  emial: "email", emal: "email", emali: "email",
  invoce: "invoice", invocie: "invoice",
  paymnet: "payment", payemnt: "payment",
  refnd: "refund", refudn: "refund",
  usernmae: "username", usename: "username",
  reciept: "receipt", receit: "receipt",
};

/**
 * Concepts an action implies, beyond lexicon.ts's: a refund is of a payment or a charge; what is restored was
 * deleted or lost; what arrived damaged was an order or an item; a payslip is of pay.
 */
export const SUPPORT_IMPLIED: Readonly<Record<string, readonly string[]>> = {
  refund: ["pay", "charge"],
  recover: ["delete", "lost"],
  damaged: ["order", "item"],
  connect: ["setup"], // "set up the Slack integration" is connecting it
};

/**
 * An action that means another on some objects: logging in to a network is connecting to it ("log into the VPN").
 * Applied in meaning.ts before the vetoes.
 */
export const ACTION_ON_OBJECT: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  login: { vpn: "connect", wifi: "connect", network: "connect", internet: "connect", hotspot: "connect" },
  cancel: { notification: "disable" }, // "stop the notifications" is turning them off
};
