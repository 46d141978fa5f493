// Validates Kubernetes objects against the Kubernetes API schemas (npm kubernetes-models) and KEDA's
// (npm @kubernetes-models/keda). Input: multi-document YAML on stdin (a `kubectl kustomize` render).
// Output: one JSON line per object, {"kind","name","apiVersion","result","errors"}, where result is
// "valid", "invalid", "external" (Dapr objects: their CRDs are checked by the deploy tests' field checks)
// or "unknown" (no schema here: counted as a failure, so a new kind is never let through unchecked).
// Exit code 0 only when every object is valid or external.
import { parseAllDocuments } from "yaml";

/** Group/version to the module that exports its models; core v1 has no group. */
function moduleFor(apiVersion) {
  if (apiVersion.startsWith("keda.sh/")) return `@kubernetes-models/keda/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

/** API groups whose objects the deploy tests check elsewhere (Dapr's CRD field checks). */
const externalGroups = ["dapr.io/"];

const input = await new Promise((resolve, reject) => {
  let text = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
  process.stdin.on("error", reject);
});

let failed = false;
for (const document of parseAllDocuments(input)) {
  if (document.errors.length > 0) {
    failed = true;
    console.log(JSON.stringify({ kind: "", name: "", apiVersion: "", result: "invalid", errors: document.errors.map((e) => e.message) }));
    continue;
  }

  const object = document.toJS();
  if (object === null || object === undefined) continue;
  // kustomize folds long base64 values of generated Secrets over several lines; the API server's decoder (Go's
  // encoding/base64, through encoding/json) skips line breaks, so they are dropped before the format check.
  if (object.kind === "Secret" && object.data && typeof object.data === "object") {
    for (const key of Object.keys(object.data)) {
      if (typeof object.data[key] === "string") object.data[key] = object.data[key].replace(/[\r\n]/g, "");
    }
  }
  const { apiVersion = "", kind = "" } = object;
  const line = { kind, name: object.metadata?.name ?? "", apiVersion, result: "valid", errors: [] };
  if (externalGroups.some((g) => apiVersion.startsWith(g))) {
    line.result = "external";
  } else {
    let model;
    try {
      model = (await import(moduleFor(apiVersion)))[kind];
    } catch {
      model = undefined;
    }

    if (typeof model !== "function" || model.apiVersion !== apiVersion || model.kind !== kind) {
      line.result = "unknown";
      line.errors.push(`no schema for ${apiVersion} ${kind}`);
    } else {
      try {
        new model(object).validate();
      } catch (e) {
        line.result = "invalid";
        line.errors.push(...(e.errors?.map((x) => `${x.instancePath || "/"} ${x.message}`) ?? [String(e.message ?? e)]));
      }
    }
  }

  if (line.result === "invalid" || line.result === "unknown") failed = true;
  console.log(JSON.stringify(line));
}

process.exitCode = failed ? 1 : 0;
