/**
 * `json_object` mode with no schema anywhere: the simulated model reads the fields the prompt names and their types
 * off the wording (src/providers/simulated-fields.ts).
 */
import { describe, expect, it } from "vitest";
import { schemaFromWording } from "../../../src/providers/simulated-fields";

const fields = (prompt: string, system: string[] = []) => {
  const s = schemaFromWording(system, prompt) as { properties: Record<string, { type: string; minItems?: number }>; required: string[] } | undefined;
  return s && Object.fromEntries(s.required.map((k) => [k, s.properties[k]!.type + (s.properties[k]!.minItems ? `×${s.properties[k]!.minItems}` : "")]));
};

describe("schemaFromWording", () => {
  it("names the fields an enumeration lists, typed by their names", () => {
    expect(fields("Give the city, population and landmarks of Paris as JSON")).toEqual({ city: "string", population: "integer", landmarks: "array×1" });
    expect(fields("Return a JSON object with the fields name, age and email for the author of Dune")).toEqual({ name: "string", age: "integer", email: "string" });
    expect(fields("Describe the novel Dune as JSON: title, author, release year, price, is_classic and genres")).toEqual({
      title: "string",
      author: "string",
      release_year: "integer",
      price: "number",
      is_classic: "boolean",
      genres: "array×1",
    });
  });

  it("reads quoted names, 'number of …', 'list of …' and a single named field", () => {
    expect(fields("Rate this review in JSON with keys `sentiment` and `score`")).toEqual({ sentiment: "string", score: "number" });
    expect(fields("Give the name and number of employees of Acme as JSON")).toEqual({ name: "string", number_of_employees: "integer" });
    expect(fields("Return JSON with the recipe name and a list of ingredients")).toEqual({ recipe_name: "string", ingredients: "array×1" });
    expect(fields("Give me a list of 3 fruits as JSON")).toEqual({ fruits: "array×3" });
    expect(fields("Reply in JSON with a field called summary")).toEqual({ summary: "string" });
    expect(fields("Is it sunny? Reply with JSON containing has_umbrella_need and temperature")).toEqual({ has_umbrella_need: "boolean", temperature: "number" });
  });

  it("reads a system prompt's JSON instructions, but not its other sentences", () => {
    expect(fields("Dune", ["You are a librarian. Answer in JSON with title and author."])).toEqual({ title: "string", author: "string" });
    expect(fields("Tell me about Rome", ["You are a helpful assistant, friendly and concise. Always answer in JSON."])).toBeUndefined();
  });

  it("names nothing when the prompt names no fields", () => {
    expect(fields("Tell me about Rome in JSON")).toBeUndefined();
    expect(fields("What is the weather like today? Answer in JSON.")).toBeUndefined();
    expect(fields("")).toBeUndefined();
  });

  it("is deterministic", () => {
    const p = "Give the city, population and landmarks of Paris as JSON";
    expect(JSON.stringify(schemaFromWording([], p))).toBe(JSON.stringify(schemaFromWording([], p)));
  });
});
