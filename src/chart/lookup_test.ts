// Finding `lookup` calls in chart templates: in actions only (not comments, strings or plain text), and in
// packages the way Helm vendors sub-charts (folders under charts/ and .tgz files there, nested), packed by
// the real `tar` into real gzip archives.
import assert from "node:assert/strict";
import { join } from "node:path";
import { chartUsesLookup, MAX_PACKAGE_DEPTH, templateCallsLookup, valuesCallLookup } from "./lookup.ts";
import { MAX_DECOMPRESSED_CHART, MAX_DECOMPRESSED_FILE } from "./package_files.ts";

Deno.test("templateCallsLookup: calls in actions, not mentions", () => {
  // bitnami common's secrets helper, and the usual guard around a generated password.
  assert.ok(templateCallsLookup(
    '{{- $secretData := (lookup "v1" "Secret" $.context.Release.Namespace .secret).data }}',
  ));
  assert.ok(templateCallsLookup('{{- $s := lookup "v1" "Secret" .Release.Namespace "db" -}}'));
  assert.ok(templateCallsLookup('{{ if not (lookup\n  "v1" "Secret" "ns" "db") }}x{{ end }}'));
  assert.ok(templateCallsLookup('{{ "v1" | lookup }}'));
  assert.ok(!templateCallsLookup("# lookup the password here\npassword: {{ .Values.password }}"));
  assert.ok(!templateCallsLookup('{{/* lookup "v1" "Secret" keeps it */}}{{ .Values.x }}'));
  assert.ok(!templateCallsLookup('{{ printf "lookup %s" .Values.x }} {{ .Values.lookup }}'));
  assert.ok(!templateCallsLookup('{{ include "lookupHelper" . }} {{ $lookups := 1 }}'));
  // A call commented out, `}}` and all; the action after a comment still counts.
  assert.ok(!templateCallsLookup('{{/* {{ $s := lookup "v1" "Secret" "ns" "db" }} */}}{{ .Values.x }}'));
  assert.ok(!templateCallsLookup('{{- /* {{ lookup "v1" "Secret" "ns" "db" }} */ -}}'));
  assert.ok(templateCallsLookup('{{/* old: }} */}}{{ lookup "v1" "Secret" "ns" "db" }}'));
});

async function tar(dir: string, out: string, ...names: string[]) {
  const r = await new Deno.Command("tar", { args: ["-czf", out, "-C", dir, ...names] }).output();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
}

async function write(root: string, files: Record<string, string>) {
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(join(root, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(root, path), text);
  }
}

Deno.test("chartUsesLookup: the chart's templates, sub-chart folders and nested sub-chart packages", async () => {
  const root = await Deno.makeTempDir({ prefix: "fastcs-lookup-" });
  try {
    const guard = '{{- $s := lookup "v1" "Secret" .Release.Namespace "db" }}';
    await write(root, {
      "plain/Chart.yaml": "apiVersion: v2\nname: plain\nversion: 1.0.0\n",
      "plain/values.yaml": "# lookup: {{ lookup }} in values is no template\nx: 1\n",
      "plain/templates/cm.yaml": "kind: ConfigMap\ndata: {x: {{ .Values.x | quote }}}\n",
      "own/templates/_helpers.tpl": `{{- define "own.password" -}}${guard}{{- end }}`,
      "folder/templates/cm.yaml": "kind: ConfigMap\n",
      "folder/charts/db/templates/secret.yaml": guard,
      "common/templates/_secrets.tpl": `{{- define "common.secret" -}}${guard}{{- end }}`,
      "mysql/templates/secret.yaml": '{{ include "common.secret" . }}',
      "outer/templates/cm.yaml": "kind: ConfigMap\n",
    });
    const pkg = (name: string) => join(root, `${name}.tgz`);
    await tar(root, pkg("plain"), "plain");
    await tar(root, pkg("own"), "own");
    await tar(root, pkg("folder"), "folder");
    // outer/charts/mysql.tgz holds mysql/charts/common.tgz, whose helper calls lookup.
    await Deno.mkdir(join(root, "mysql/charts"), { recursive: true });
    await tar(root, join(root, "mysql/charts/common-2.0.0.tgz"), "common");
    await Deno.mkdir(join(root, "outer/charts"), { recursive: true });
    await tar(root, join(root, "outer/charts/mysql-9.0.0.tgz"), "mysql");
    await tar(root, pkg("outer"), "outer");

    assert.equal(await chartUsesLookup(pkg("plain")), false);
    assert.equal(await chartUsesLookup(pkg("own")), true);
    assert.equal(await chartUsesLookup(pkg("folder")), true);
    assert.equal(await chartUsesLookup(pkg("outer")), true);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("chartUsesLookup: a damaged sub-chart package is named; packages over Helm's size limits are not read whole", async () => {
  const root = await Deno.makeTempDir({ prefix: "fastcs-lookup-" });
  try {
    await write(root, {
      "broken/Chart.yaml": "apiVersion: v2\nname: broken\nversion: 1.0.0\n",
      "broken/templates/cm.yaml": "kind: ConfigMap\n",
      "broken/charts/db-1.0.0.tgz": "not a gzip stream",
      "bigfile/templates/cm.yaml": "kind: ConfigMap\n",
      "bomb/templates/cm.yaml": "kind: ConfigMap\n",
    });
    await tar(root, join(root, "broken.tgz"), "broken");
    await assert.rejects(
      chartUsesLookup(join(root, "broken.tgz")),
      /sub-chart package broken\/charts\/db-1\.0\.0\.tgz: /,
    );
    // Helm 3.17 and 4.1 refuse both ("decompressed chart file … is larger than the maximum file size"); a
    // few hundred kilobytes of gzip must not become as many megabytes in memory here first.
    const zeros = (n: number) => new Uint8Array(n);
    await Deno.mkdir(join(root, "bigfile/files"));
    await Deno.writeFile(join(root, "bigfile/files/blob"), zeros(MAX_DECOMPRESSED_FILE + 1));
    await tar(root, join(root, "bigfile.tgz"), "bigfile");
    await assert.rejects(
      chartUsesLookup(join(root, "bigfile.tgz")),
      /bigfile\/files\/blob is larger than Helm's limit/,
    );
    await Deno.mkdir(join(root, "bomb/files"));
    const each = MAX_DECOMPRESSED_FILE - 1024;
    for (let i = 0; i * each <= MAX_DECOMPRESSED_CHART; i++) {
      await Deno.writeFile(join(root, `bomb/files/part-${i}`), zeros(each));
    }
    await tar(root, join(root, "bomb.tgz"), "bomb");
    await assert.rejects(
      chartUsesLookup(join(root, "bomb.tgz")),
      /the decompressed chart is larger than Helm's limit/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("valuesCallLookup: a values string that tpl renders with a lookup, at any depth; keys and mentions do not count", () => {
  // bitnami's extraDeploy, rendered by common.tplvalues.render (tpl): Helm 3 and 4 give tpl the lookup function.
  const call = '{{ (lookup "v1" "Secret" .Release.Namespace "db").data.password }}';
  assert.ok(valuesCallLookup({ extraDeploy: [{ kind: "Secret", data: { password: call } }] }));
  assert.ok(valuesCallLookup({ db: { annotations: { a: call } } }));
  assert.ok(
    !valuesCallLookup({ "{{ lookup }}": 1, note: "lookup the password {{ .Values.x }}", n: 3, x: null }),
  );
});

Deno.test("chartUsesLookup: a lookup in the default values of the chart or of a sub-chart, not in their comments", async () => {
  const root = await Deno.makeTempDir({ prefix: "fastcs-lookup-" });
  try {
    const call = `'{{ (lookup "v1" "Secret" .Release.Namespace "db").data }}'`;
    await write(root, {
      "own/templates/cm.yaml": "kind: ConfigMap\ndata: {x: {{ tpl .Values.extra . | quote }}}\n",
      "own/values.yaml": `extra: ${call}\n`,
      "sub/templates/cm.yaml": "kind: ConfigMap\n",
      "sub/charts/db/templates/cm.yaml": "data: {{ tpl .Values.extra . }}\n",
      "sub/charts/db/values.yaml": `extra: ${call}\n`,
      "commented/templates/cm.yaml": "kind: ConfigMap\n",
      "commented/values.yaml": `# extra: ${call}\nextra: ""\n`,
    });
    for (const name of ["own", "sub", "commented"]) await tar(root, join(root, `${name}.tgz`), name);
    assert.equal(await chartUsesLookup(join(root, "own.tgz")), true);
    assert.equal(await chartUsesLookup(join(root, "sub.tgz")), true);
    assert.equal(await chartUsesLookup(join(root, "commented.tgz")), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("chartUsesLookup: a lookup in NOTES.txt only (the notes, no manifest) does not count, unless NOTES.txt defines a template", async () => {
  const root = await Deno.makeTempDir({ prefix: "fastcs-lookup-" });
  try {
    const call = '{{ (lookup "v1" "Service" .Release.Namespace "web").status }}';
    await write(root, {
      "notes/templates/cm.yaml": "kind: ConfigMap\n",
      "notes/templates/NOTES.txt": `The address: ${call}\n`,
      "defines/templates/cm.yaml": '{{ include "defines.address" . }}\n',
      "defines/templates/NOTES.txt": `{{- define "defines.address" -}}${call}{{- end }}\n`,
    });
    for (const name of ["notes", "defines"]) await tar(root, join(root, `${name}.tgz`), name);
    assert.equal(await chartUsesLookup(join(root, "notes.tgz")), false);
    assert.equal(await chartUsesLookup(join(root, "defines.tgz")), true);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("chartUsesLookup: sub-chart packages nested deeper than MAX_PACKAGE_DEPTH are not opened, and count as calling lookup", async () => {
  const root = await Deno.makeTempDir({ prefix: "fastcs-lookup-" });
  try {
    // A chain of packages, none calling lookup: l0 holds l1.tgz, which holds l2.tgz, …
    const chain = async (levels: number) => {
      const dir = join(root, `chain-${levels}`);
      let inner: string | undefined;
      for (let i = levels - 1; i >= 0; i--) {
        await write(dir, { [`l${i}/templates/cm.yaml`]: "kind: ConfigMap\n" });
        if (inner) {
          await Deno.mkdir(join(dir, `l${i}/charts`));
          await Deno.rename(inner, join(dir, `l${i}/charts/l${i + 1}-1.0.0.tgz`));
        }
        inner = join(dir, `l${i}.tgz`);
        await tar(dir, inner, `l${i}`);
      }
      return inner!;
    };
    assert.equal(await chartUsesLookup(await chain(MAX_PACKAGE_DEPTH)), false);
    assert.equal(await chartUsesLookup(await chain(MAX_PACKAGE_DEPTH + 1)), true);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
