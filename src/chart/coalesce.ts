// Values as Helm hands them to its schema validator when several values files are given: the chart's
// defaults first, then each `-f` file in order (https://helm.sh/docs/chart_template_guide/values_files/).
// Maps merge key by key, anything else is replaced, and a `null` in a later file deletes the key it
// overrides (a `null` for a key nothing set before stays: checked with Helm 3.17 and 4.1).
import { valuesData, type YamlSource } from "./yaml_source.ts";

type Values = Record<string, unknown>;

/** True for a mapping of values (not a list, not null). */
export function isMapping(value: unknown): value is Values {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Merges `override` over `base` as Helm coalesces values: maps merge key by key, anything else is replaced,
 * and a `null` deletes the key it overrides. Neither argument is changed.
 */
export function mergeValues(base: Values, override: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null && key in out) delete out[key];
    else if (isMapping(value) && isMapping(out[key])) out[key] = mergeValues(out[key] as Values, value);
    else out[key] = value;
  }
  return out;
}

/**
 * Coalesces values files the way Helm does before validating: the first layer as it is (a chart's own
 * `null` defaults stay), each later one merged over it, its `null`s deleting the keys they override.
 *
 * @param layers parsed values files, lowest precedence first (at least one)
 * @returns the values, YAML 1.1 scalars resolved and aliases expanded
 */
export function coalesceLayers(layers: YamlSource[]): unknown {
  let values: unknown = undefined;
  for (const layer of layers) {
    const data = valuesData(layer);
    values = values === undefined
      ? data
      : isMapping(values) && isMapping(data)
      ? mergeValues(values, data)
      : data;
  }
  return values ?? {};
}
