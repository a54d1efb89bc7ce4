// The image policy judged on what a chart really runs: the images of every container of every pod template in
// the manifests `helm template` renders. Values can name images in any shape (`image: {repository, tag}`,
// `Image: repo:tag`, `global.imageTag`, a sub-chart's own values); only the rendered manifests say for sure.
import { parseAllDocuments } from "../deps/yaml.ts";
import { imageTagProblem } from "./images.ts";

/** One container image of a rendered manifest. */
export interface RenderedImage {
  /** `Kind/name` of the resource holding the pod template. */
  resource: string;
  /** The container's name, with `init:` or `ephemeral:` for those kinds. */
  container: string;
  image: string;
}

type Obj = Record<string, unknown>;
const obj = (
  v: unknown,
): Obj | undefined => (v !== null && typeof v === "object" && !Array.isArray(v) ? v as Obj : undefined);

// Where the pod spec sits in each workload kind (core/v1 Pod, apps/v1, batch/v1).
function podSpecOf(doc: Obj): Obj | undefined {
  const spec = obj(doc.spec);
  switch (doc.kind) {
    case "Pod":
      return spec;
    case "CronJob":
      return obj(obj(obj(obj(spec?.jobTemplate)?.spec)?.template)?.spec);
    default:
      return obj(obj(spec?.template)?.spec);
  }
}

/**
 * Every container image of every pod template in a multi-document manifest (what `helm template` prints):
 * containers, init containers and ephemeral containers of Pods, Deployments, StatefulSets, DaemonSets,
 * ReplicaSets, Jobs, CronJobs and any other kind with `spec.template.spec`.
 */
export function renderedImages(manifest: string): RenderedImage[] {
  const found: RenderedImage[] = [];
  for (const document of parseAllDocuments(manifest)) {
    if (!("toJS" in document)) continue;
    const top = obj(document.toJS());
    // A `kind: List` (or `*List`) holds its resources in `items`.
    const docs = top && typeof top.kind === "string" && top.kind.endsWith("List") && Array.isArray(top.items)
      ? top.items.map(obj).filter((d): d is Obj => d !== undefined)
      : top
      ? [top]
      : [];
    for (const doc of docs) found.push(...podImages(doc));
  }
  return found;
}

const CONTAINER_LISTS = [["containers", ""], ["initContainers", "init:"], [
  "ephemeralContainers",
  "ephemeral:",
]];

// The container images of one resource's pod template (none for kinds without one).
function podImages(doc: Obj): RenderedImage[] {
  const pod = typeof doc.kind === "string" ? podSpecOf(doc) : undefined;
  if (!pod) return [];
  const name = typeof obj(doc.metadata)?.name === "string" ? obj(doc.metadata)!.name : "?";
  const found: RenderedImage[] = [];
  for (const [field, label] of CONTAINER_LISTS) {
    const list = pod[field];
    if (!Array.isArray(list)) continue;
    for (const c of list.map(obj)) {
      if (!c || typeof c.image !== "string") continue;
      found.push({
        resource: `${doc.kind}/${name}`,
        container: `${label}${String(c.name ?? "?")}`,
        image: c.image,
      });
    }
  }
  return found;
}

/** The rendered images that break the policy (`:latest`, or no tag and no digest), with the reason. */
export function renderedImageProblems(manifest: string): (RenderedImage & { problem: string })[] {
  return renderedImages(manifest).flatMap((i) => {
    const problem = imageTagProblem(i.image);
    return problem ? [{ ...i, problem }] : [];
  });
}
