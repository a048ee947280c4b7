#!/usr/bin/env node
// Checks of the Helm chart helm/aggpay against real helm and the Kubernetes API schemas.
//
//   node tools/k8s/check-chart.mjs --helm HELM --chart helm/aggpay --tools DIR
//       [--aggpayd BIN --gateway BIN] MODE
//
// DIR is where `tools/aggpay setup` ran `npm ci` of tools/k8s (build/k8s-tools). MODE:
//   lint      `helm lint --strict` with every values set, and bad values refused by name
//   schema    `helm template` with every values set; every object validates against the
//             Kubernetes OpenAPI schema (kubernetes-models)
//   rules     the rendered manifests keep the chart's promises (docs/kubernetes.md): probes,
//             resources, pod security, no inline secrets, no shell, a NetworkPolicy per
//             workload, PDB and HPA per Deployment, the settlement Indexed Jobs, the migration
//             hook, and what each values set is for. With the built binaries (needed for
//             rules and selftest): aggpayd loads every rendered aggpayd.yaml (it refuses
//             unknown keys and bad values) and names the services it can host, each T+1 pod's
//             command line runs with --dry-run for every completion index, and the gateway
//             parses its rendered flags and names the services it routes to
//   selftest  breaks rendered manifests on purpose and expects `rules` to name each break
// Exit status 0 when everything holds, 1 otherwise (each failure on its own line).

import { createRequire } from 'node:module';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

function parseArgs(argv) {
  const opts = { mode: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (['--helm', '--chart', '--tools', '--aggpayd', '--gateway'].includes(a)) {
      opts[a.slice(2)] = argv[++i];
    } else if (!a.startsWith('-')) {
      opts.mode = a;
    } else {
      throw new Error(`unknown option ${a}`);
    }
  }
  for (const k of ['helm', 'chart', 'tools']) {
    if (!opts[k]) throw new Error(`--${k} is required`);
  }
  if (!['lint', 'schema', 'rules', 'selftest'].includes(opts.mode)) {
    throw new Error('MODE: one of lint, schema, rules, selftest');
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const needed = [['helm', opts.helm], ['npm packages', path.join(opts.tools, 'node_modules', 'yaml')]];
if (opts.aggpayd) needed.push(['aggpayd', opts.aggpayd]);
if (opts.gateway) needed.push(['aggpay-gateway', opts.gateway]);
for (const [what, p] of needed) {
  if (!existsSync(p)) {
    console.log(`FAIL ${what}: ${p} is missing: run tools/aggpay setup`);
    process.exit(1);
  }
}
const require = createRequire(path.join(path.resolve(opts.tools), 'package.json'));
const YAML = require('yaml');

const RELEASE = 'aggpay';
const NAMESPACE = 'payments';
const SECRET = 'aggpay-secrets';

// The values sets the issue names, and the placeholder sets chart-testing uses.
const VALUE_SETS = [
  { name: 'default', files: [] },
  { name: 'local', files: ['values-local.yaml'] },
  { name: 'production', files: ['values-production.yaml'] },
  { name: 'ci/monolith', files: ['ci/monolith-values.yaml'] },
  { name: 'ci/microservices', files: ['ci/microservices-values.yaml'] },
];

function helm(args) {
  try {
    return execFileSync(opts.helm, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`helm ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

function valueArgs(set) {
  return set.files.flatMap((f) => ['-f', path.join(opts.chart, f)]);
}

function render(set) {
  const out = helm(['template', RELEASE, opts.chart, '-n', NAMESPACE, ...valueArgs(set)]);
  const objects = [];
  for (const doc of YAML.parseAllDocuments(out)) {
    if (doc.errors.length) throw new Error(`${set.name}: ${doc.errors[0].message}`);
    const o = doc.toJSON();
    if (o) objects.push(o);
  }
  return objects;
}

const ref = (o) => `${o.kind}/${o.metadata?.name}`;

// --- schema ----------------------------------------------------------------------------------

function schemaErrors(objects) {
  const errors = [];
  for (const o of objects) {
    const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
    const modulePath = `kubernetes-models/${group ? `${group}/` : ''}${version}/${o.kind}`;
    let Model;
    try {
      Model = require(modulePath)[o.kind];
    } catch {
      errors.push(`${ref(o)}: no Kubernetes schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (e) {
      errors.push(`${ref(o)}: ${e.message}`);
    }
  }
  return errors;
}

// --- rules -----------------------------------------------------------------------------------

const component = (labels) => labels?.['app.kubernetes.io/component'];
const hookOf = (o) => o.metadata?.annotations?.['helm.sh/hook'] ?? '';
const hookWeight = (o) => Number(o.metadata?.annotations?.['helm.sh/hook-weight'] ?? 0);

// Every pod template in the manifests: {owner, kind, template}.
function podTemplates(objects) {
  const out = [];
  for (const o of objects) {
    if (o.kind === 'Deployment' || o.kind === 'Job') out.push({ owner: o, template: o.spec.template });
    if (o.kind === 'CronJob') out.push({ owner: o, template: o.spec.jobTemplate.spec.template });
  }
  return out;
}

const isBundled = (labels) => labels?.['aggpay.io/bundled'] === 'true';

function matches(selector, labels) {
  const ml = selector?.matchLabels ?? {};
  if (selector?.matchExpressions?.length) return false;  // the chart uses matchLabels only
  return Object.entries(ml).every(([k, v]) => labels?.[k] === v);
}

// aggpayd's services that seal or key with AGGPAY_SECRET_KEY and refuse to start without it.
const SEALING_KEY_SERVICES = ['merchant', 'terminal', 'binding', 'payment'];
const SECRETISH = /(PASSWORD|SECRET|TOKEN|PRIVATE|_KEY$|^KEY$|CREDENTIAL)/i;
// Inline values that name no secret: MariaDB makes up a root password it never prints.
const NOT_SECRETS = new Set(['MARIADB_RANDOM_ROOT_PASSWORD']);

function containerRules(where, pod, c, errors) {
  const r = c.resources ?? {};
  if (!r.requests?.cpu || !r.requests?.memory) errors.push(`${where}: resources.requests needs cpu and memory`);
  if (!r.limits?.memory) errors.push(`${where}: resources.limits.memory is missing`);
  const sc = c.securityContext ?? {};
  const psc = pod.securityContext ?? {};
  if (sc.allowPrivilegeEscalation !== false) errors.push(`${where}: securityContext.allowPrivilegeEscalation must be false`);
  if (sc.readOnlyRootFilesystem !== true) errors.push(`${where}: securityContext.readOnlyRootFilesystem must be true`);
  if (!(sc.capabilities?.drop ?? []).includes('ALL')) errors.push(`${where}: securityContext.capabilities.drop must hold ALL`);
  if ((sc.capabilities?.add ?? []).length) errors.push(`${where}: securityContext.capabilities.add must be empty`);
  if (sc.privileged) errors.push(`${where}: securityContext.privileged`);
  const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
  const uid = sc.runAsUser ?? psc.runAsUser;
  if (nonRoot !== true) errors.push(`${where}: runAsNonRoot must be true`);
  if (uid === 0) errors.push(`${where}: runAsUser is 0`);
  const seccomp = (sc.seccompProfile ?? psc.seccompProfile)?.type;
  if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') errors.push(`${where}: seccompProfile must be RuntimeDefault or Localhost`);
  for (const e of c.env ?? []) {
    if (e.value !== undefined && SECRETISH.test(e.name) && !NOT_SECRETS.has(e.name)) errors.push(`${where}: env ${e.name} has an inline value: a secret must come from a Secret`);
    const s = e.valueFrom?.secretKeyRef;
    if (s && s.name !== SECRET) errors.push(`${where}: env ${e.name} reads Secret ${s.name}, not existingSecret ${SECRET}`);
  }
  for (const a of [...(c.command ?? []), ...(c.args ?? [])]) {
    if (/--(password|requirepass|secret)\b/i.test(String(a))) errors.push(`${where}: a secret on the command line (${a})`);
  }
  if (c.envFrom?.length) errors.push(`${where}: envFrom hands a pod every key of a Secret or ConfigMap`);
}

function isAggpaydServe(c) {
  return (c.command ?? [])[0] === '/usr/local/bin/aggpayd' && (c.args ?? []).includes('serve');
}

function probeRules(where, c, grpcPort, errors) {
  if (!c.readinessProbe) errors.push(`${where}: no readinessProbe`);
  if (!c.livenessProbe) errors.push(`${where}: no livenessProbe`);
  if (isAggpaydServe(c)) {
    for (const p of ['startupProbe', 'livenessProbe']) {
      // Over TLS (tls.enabled: the pod mounts tls-cert) the kubelet's gRPC probe cannot
      // connect: GET /healthz instead.
      const tls = (c.volumeMounts ?? []).some((m) => m.name === 'tls-cert');
      const ok = c[p]?.grpc?.port === grpcPort || (tls && c[p]?.httpGet?.path === '/healthz');
      if (c[p] && !ok) errors.push(`${where}: ${p} must use the gRPC health service on port ${grpcPort} (GET /healthz with TLS)`);
    }
    if (!c.startupProbe) errors.push(`${where}: no startupProbe`);
    if (c.readinessProbe && c.readinessProbe.httpGet?.path !== '/readyz') errors.push(`${where}: readinessProbe must be GET /readyz`);
  } else if (c.name === 'gateway') {
    for (const p of ['readinessProbe', 'livenessProbe']) {
      if (c[p] && c[p].httpGet?.path !== '/healthz') errors.push(`${where}: ${p} must be GET /healthz`);
    }
  }
}

// Runs each T+1 pod's command line with the aggpayd just built, as Kubernetes would for each
// completion index: the pod's env (JOB_NAME of a run scheduled at `scheduledMinutes`,
// JOB_COMPLETION_INDEX), $(VAR) expanded, the rendered aggpayd.yaml, and --dry-run, which prints
// "settle: date D, shard i/n" and stops before touching MySQL. Returns those lines.
function runT1Pods(container, configText, cronJobName, completions, scheduledMinutes) {
  const dir = mkdtempSync(path.join(tmpdir(), 'aggpay-settle-'));
  try {
    const config = path.join(dir, 'aggpayd.yaml');
    writeFileSync(config, configText);
    const env = { PATH: process.env.PATH };
    for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    env.JOB_NAME = `${cronJobName}-${scheduledMinutes}`;
    const lines = [];
    for (let i = 0; i < completions; i++) {
      env.JOB_COMPLETION_INDEX = String(i);
      const args = [...(container.args ?? [])].map((a) =>
        a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v) => (v in env ? env[v] : m)))
        .map((a) => (a === '/etc/aggpay/aggpayd.yaml' ? config : a));
      const out = execFileSync(opts.aggpayd, [...args, '--dry-run'],
        { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
      lines.push(out.trim().split('\n').pop());
    }
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function settlementRules(objects, errors) {
  const cronJobs = objects.filter((o) => o.kind === 'CronJob');
  for (const cj of cronJobs) {
    const where = ref(cj);
    const job = cj.spec.jobTemplate.spec;
    const c = job.template.spec.containers[0];
    if (cj.spec.concurrencyPolicy !== 'Forbid') errors.push(`${where}: concurrencyPolicy must be Forbid`);
    if (job.completionMode !== 'Indexed') errors.push(`${where}: the Job must be Indexed`);
    if (!Number.isInteger(job.completions) || !Number.isInteger(job.parallelism)) errors.push(`${where}: completions and parallelism must be set`);
    if (job.backoffLimit === undefined && job.backoffLimitPerIndex === undefined) errors.push(`${where}: no backoffLimit`);
    if (!job.activeDeadlineSeconds) errors.push(`${where}: no activeDeadlineSeconds`);
    if (cj.spec.startingDeadlineSeconds === undefined) errors.push(`${where}: no startingDeadlineSeconds`);
    if (job.template.spec.restartPolicy !== 'Never') errors.push(`${where}: restartPolicy must be Never`);
    const cycle = cj.metadata.labels?.['aggpay.io/cycle'];
    if (cycle === 'T1') {
      const args = c.args ?? [];
      const flag = (name) => { const i = args.indexOf(name); return i < 0 ? undefined : args[i + 1]; };
      if (c.command?.[0] !== '/usr/local/bin/aggpayd') errors.push(`${where}: the pod must run aggpayd itself, not ${c.command?.[0]}`);
      if (Number(flag('--indexed-job')) !== job.completions) errors.push(`${where}: --indexed-job ${flag('--indexed-job')}, the shard count, is not the Job's completions (${job.completions})`);
      if (flag('--cronjob') !== cj.metadata.name) errors.push(`${where}: --cronjob ${flag('--cronjob')} is not the CronJob's name, so no Job name parses`);
      const index = (c.env ?? []).find((e) => e.name === 'JOB_COMPLETION_INDEX');
      if (index?.valueFrom?.fieldRef?.fieldPath !== "metadata.annotations['batch.kubernetes.io/job-completion-index']") {
        errors.push(`${where}: JOB_COMPLETION_INDEX must come from the completion index annotation`);
      }
      const jobName = (c.env ?? []).find((e) => e.name === 'JOB_NAME');
      if (jobName?.valueFrom?.fieldRef?.fieldPath !== "metadata.labels['job-name']") errors.push(`${where}: JOB_NAME must come from the job-name label`);
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === job.template.spec.volumes.find((v) => v.name === 'config')?.configMap?.name);
      // 2026-05-02 02:00 in Asia/Shanghai (18:00 UTC the day before): D is 2026-05-01.
      const minutes = Date.UTC(2026, 4, 1, 18, 0) / 60000;
      let lines = [];
      if (!opts.aggpayd) {
        errors.push(`${where}: checking the T+1 pods needs --aggpayd`);
      } else if (!cm) {
        errors.push(`${where}: no ConfigMap for its config volume`);
      } else {
        try {
          lines = runT1Pods(c, cm.data['aggpayd.yaml'], cj.metadata.name, job.completions, minutes);
        } catch (e) {
          errors.push(`${where}: the pod's aggpayd refuses its arguments: ${(e.stderr || e.message).trim()}`);
        }
      }
      const want = new Set();
      for (let i = 1; i <= job.completions; i++) want.add(`--shard ${i}/${job.completions}`);
      for (const l of lines) {
        const m = l.match(/^settle: date (\S+), shard (\d+)\/(\d+)$/);
        if (!m) { errors.push(`${where}: a pod would run "${l}", not settle --date D --shard I/N`); continue; }
        if (m[1] !== '2026-05-01') errors.push(`${where}: a run scheduled for 2026-05-02 02:00 settles ${m[1]}, not 2026-05-01`);
        if (Number(m[3]) !== job.completions) errors.push(`${where}: --shard ${m[2]}/${m[3]}: N is not the Job's completions (${job.completions})`);
        want.delete(`--shard ${m[2]}/${m[3]}`);
      }
      if (lines.length && want.size) errors.push(`${where}: no pod runs ${[...want].join(', ')}`);
    } else if (cycle === 'D0') {
      const args = (c.args ?? []).join(' ');
      if (!/settle --cycle D0/.test(args)) errors.push(`${where}: the D0 pod must run aggpayd settle --cycle D0`);
      if (/--shard/.test(args)) errors.push(`${where}: aggpayd takes no --shard for D0`);
      if (job.completions !== 1) errors.push(`${where}: D0 is one window per run: completions must be 1`);
    } else {
      errors.push(`${where}: no aggpay.io/cycle label (T1 or D0)`);
    }
  }
  return cronJobs;
}

function migrationRules(objects, errors) {
  const jobs = objects.filter((o) => o.kind === 'Job' && component(o.metadata.labels) === 'migrate');
  if (jobs.length !== 1) { errors.push(`want one migration Job, found ${jobs.length}`); return; }
  const job = jobs[0];
  const hooks = hookOf(job).split(',');
  if (!hooks.includes('pre-install') || !hooks.includes('pre-upgrade')) errors.push(`${ref(job)}: must be a pre-install,pre-upgrade hook`);
  const c = job.spec.template.spec.containers[0];
  if (!(c.args ?? []).includes('migrate') || c.command?.[0] !== '/usr/local/bin/aggpayd') errors.push(`${ref(job)}: must run aggpayd migrate`);
  if (job.spec.backoffLimit === undefined || !job.spec.activeDeadlineSeconds) errors.push(`${ref(job)}: needs backoffLimit and activeDeadlineSeconds`);
  // What the hook reads and reaches must exist before it: its ConfigMap, the bundled stores.
  const cmName = job.spec.template.spec.volumes.find((v) => v.name === 'config')?.configMap?.name;
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === cmName);
  if (!cm || !hookOf(cm).includes('pre-install') || hookWeight(cm) >= hookWeight(job)) {
    errors.push(`${ref(job)}: its ConfigMap ${cmName} must be an earlier hook`);
  }
  for (const o of objects.filter((x) => isBundled(x.metadata?.labels))) {
    if (!hookOf(o).includes('pre-install') || hookWeight(o) >= hookWeight(job)) errors.push(`${ref(o)}: a bundled store must be a pre-install hook before ${ref(job)}`);
  }
}

function networkPolicyRules(objects, templates, grpcPort, errors) {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const releasePeer = (p) => p.podSelector && !p.namespaceSelector && !p.ipBlock &&
    p.podSelector.matchLabels?.['app.kubernetes.io/instance'] === RELEASE;
  for (const { owner, template } of templates) {
    const labels = template.metadata.labels;
    const comp = component(labels);
    const mine = policies.filter((p) => matches(p.spec.podSelector, labels));
    const where = `${ref(owner)} (${comp})`;
    if (!mine.length) { errors.push(`${where}: no NetworkPolicy selects its pods`); continue; }
    for (const p of mine) {
      const types = p.spec.policyTypes ?? [];
      if (!types.includes('Ingress') || !types.includes('Egress')) errors.push(`${ref(p)}: policyTypes must be Ingress and Egress`);
      for (const rule of p.spec.ingress ?? []) {
        const ports = (rule.ports ?? []).map((x) => x.port);
        if (!ports.length) errors.push(`${ref(p)}: an ingress rule open on every port`);
        const outside = (rule.from ?? []).some((peer) => !releasePeer(peer)) || !rule.from;
        if (comp === 'gateway') continue;
        if (labels['aggpay.io/grpc-server'] === 'true') {
          // From the release: gRPC only; from outside: only /metrics on the http port.
          for (const port of ports) {
            if (outside && port !== 'http') errors.push(`${ref(p)}: port ${port} open to peers outside the release`);
            if (!outside && port !== 'grpc' && port !== grpcPort) errors.push(`${ref(p)}: the services reach each other on port ${port}, not only gRPC`);
          }
          for (const peer of rule.from ?? []) {
            if (releasePeer(peer) && peer.podSelector.matchLabels['aggpay.io/grpc-client'] !== 'true') errors.push(`${ref(p)}: gRPC from pods that are not grpc-client`);
          }
        } else if (isBundled(labels)) {
          for (const peer of rule.from ?? []) {
            if (!releasePeer(peer) || peer.podSelector.matchLabels['aggpay.io/store-client'] !== 'true') errors.push(`${ref(p)}: ${comp} reachable from pods other than the services`);
          }
          if (!rule.from) errors.push(`${ref(p)}: ${comp} reachable from anywhere`);
        } else {
          errors.push(`${ref(p)}: ${comp} takes connections; only the gateway and the services do`);
        }
      }
      // Only store clients may open connections to MySQL or Redis.
      if (labels['aggpay.io/store-client'] !== 'true') {
        for (const rule of p.spec.egress ?? []) {
          for (const port of (rule.ports ?? [])) {
            if (![53, grpcPort].includes(port.port)) errors.push(`${ref(p)}: ${comp} may connect to port ${port.port}; it may reach only DNS and the services' gRPC`);
          }
          if (!rule.ports) errors.push(`${ref(p)}: ${comp} may connect to any port`);
        }
      }
    }
  }
  // Only the gateway is reachable from outside the release.
  const gw = templates.find((t) => component(t.template.metadata.labels) === 'gateway');
  if (gw) {
    const p = policies.find((x) => matches(x.spec.podSelector, gw.template.metadata.labels));
    const fromOutside = (p?.spec.ingress ?? []).some((r) => (r.from ?? []).some((peer) => !releasePeer(peer)));
    if (p && !fromOutside) errors.push(`${ref(p)}: the gateway must be reachable from the ingress controller`);
  }
}

function workloadRules(set, objects, errors) {
  const grpcPort = 50051;
  if (objects.some((o) => o.kind === 'Secret')) errors.push('the chart renders a Secret: it must hold no secret values');
  for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
    for (const [key, text] of Object.entries(cm.data ?? {})) {
      const walk = (v, at) => {
        if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) {
          if (/(^|_)(password|secret|secret_key|private_key|token)$/i.test(k)) errors.push(`${ref(cm)}: ${key} has a key ${at}${k}: secrets come from the Secret`);
          walk(x, `${at}${k}.`);
        }
      };
      walk(YAML.parse(text), '');
    }
  }
  const templates = podTemplates(objects);
  for (const { owner, template } of templates) {
    const pod = template.spec;
    if (pod.automountServiceAccountToken !== false && !isBundled(template.metadata.labels)) errors.push(`${ref(owner)}: automountServiceAccountToken must be false`);
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC) errors.push(`${ref(owner)}: host namespaces`);
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      containerRules(`${ref(owner)} container ${c.name}`, pod, c, errors);
      // The aggpay image needs no shell: every container of it runs one of its binaries.
      if (!isBundled(template.metadata.labels) && c.name !== 'wait-for-mariadb' &&
          !['/usr/local/bin/aggpayd', '/usr/local/bin/aggpay-gateway'].includes(c.command?.[0])) {
        errors.push(`${ref(owner)} container ${c.name}: runs ${c.command?.[0]}, not an aggpay binary (the image needs no shell)`);
      }
    }
    if (owner.kind === 'Deployment') {
      for (const c of pod.containers) probeRules(`${ref(owner)} container ${c.name}`, c, grpcPort, errors);
    }
  }
  const deployments = objects.filter((o) => o.kind === 'Deployment' && !isBundled(o.metadata.labels));
  const services = objects.filter((o) => o.kind === 'Service');
  for (const d of deployments) {
    const labels = d.spec.template.metadata.labels;
    const comp = component(labels);
    const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget' && matches(o.spec.selector, labels));
    if (pdbs.length !== 1) errors.push(`${ref(d)}: want one PodDisruptionBudget, found ${pdbs.length}`);
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.kind === 'Deployment' && o.spec.scaleTargetRef.name === d.metadata.name);
    if (!hpa) errors.push(`${ref(d)}: no HorizontalPodAutoscaler`);
    else if (d.spec.replicas !== undefined) errors.push(`${ref(d)}: spec.replicas set while an HPA scales it`);
    if (!services.some((s) => matches({ matchLabels: s.spec.selector }, labels))) errors.push(`${ref(d)}: no Service`);
    const c = d.spec.template.spec.containers[0];
    if (isAggpaydServe(c)) {
      const flag = c.args.find((a) => a.startsWith('--services='));
      const want = comp === 'monolith' ? 'all' : comp;
      if (flag !== `--services=${want}`) errors.push(`${ref(d)}: runs ${flag}, want --services=${want}`);
      // The services aggpayd refuses to start without the sealing key (services/aggpayd/main.cc).
      const hosted = want === 'all' ? SEALING_KEY_SERVICES : [want];
      const hasKey = (c.env ?? []).some((e) => e.name === 'AGGPAY_SECRET_KEY' && e.valueFrom?.secretKeyRef);
      if (hosted.some((s) => SEALING_KEY_SERVICES.includes(s)) && !hasKey) errors.push(`${ref(d)}: hosts ${want}, which does not start without AGGPAY_SECRET_KEY`);
      if (!hosted.some((s) => SEALING_KEY_SERVICES.includes(s)) && hasKey) errors.push(`${ref(d)}: gets AGGPAY_SECRET_KEY, which ${want} does not use`);
    }
    d.minReplicas = hpa ? hpa.spec.minReplicas : d.spec.replicas;
  }
  networkPolicyRules(objects, templates, grpcPort, errors);
  settlementRules(objects, errors);
  migrationRules(objects, errors);

  const gateway = deployments.find((d) => component(d.metadata.labels) === 'gateway');
  const ingress = objects.filter((o) => o.kind === 'Ingress');
  if (gateway) {
    const svc = services.find((s) => component(s.metadata.labels) === 'gateway');
    const ok = ingress.some((i) => i.spec.tls?.length && i.spec.tls.every((t) => t.secretName) &&
      i.spec.rules.every((r) => r.http.paths.every((p) => p.backend.service?.name === svc?.metadata.name)));
    if (!ok) errors.push('the gateway needs an Ingress with TLS whose paths all lead to its Service');
  }
  // The QR codes the binding service issues point at the public host.
  for (const cm of objects.filter((o) => o.kind === 'ConfigMap' && o.data?.['aggpayd.yaml'])) {
    const base = YAML.parse(cm.data['aggpayd.yaml']).binding?.public_base_url;
    for (const i of ingress) {
      for (const r of i.spec.rules) {
        if (base !== `https://${r.host}`) errors.push(`${ref(cm)}: binding.public_base_url is ${base}, but the Ingress serves https://${r.host}`);
      }
    }
  }
  if (ingress.some((i) => i.spec.rules.some((r) => r.http.paths.some((p) => p.backend.service?.name !== gateway?.metadata.name)))) {
    errors.push('an Ingress leads to something other than the gateway');
  }

  // What each values set is for.
  const comps = deployments.map((d) => component(d.metadata.labels));
  const bundled = objects.filter((o) => o.kind === 'Deployment' && isBundled(o.metadata.labels)).map((o) => component(o.metadata.labels));
  if (set.name === 'local') {
    if (!comps.includes('monolith')) errors.push('local: want the monolith (--services=all)');
    if (!bundled.includes('mariadb') || !bundled.includes('redis')) errors.push('local: want the bundled MariaDB and Redis');
  }
  if (set.name === 'production' || set.name === 'default') {
    const want = ['admin', 'binding', 'fee', 'merchant', 'payment', 'risk', 'settlement', 'terminal', 'gateway'];
    for (const w of want) if (!comps.includes(w)) errors.push(`${set.name}: no Deployment for ${w}`);
    if (comps.includes('monolith')) errors.push(`${set.name}: want microservices, not the monolith`);
    if (bundled.length) errors.push(`${set.name}: want external MySQL and Redis, not bundled ones`);
  }
  if (set.name === 'production') {
    for (const d of deployments) if (!(d.minReplicas >= 2)) errors.push(`production: ${ref(d)} may run ${d.minReplicas} replica(s); want at least 2`);
    const cfg = YAML.parse(objects.find((o) => o.kind === 'ConfigMap' && !hookOf(o)).data['aggpayd.yaml']);
    if (/example\.internal|^mysql$|^redis$/.test(cfg.mysql.host) || /^redis$/.test(cfg.redis.host)) errors.push('production: mysql.host / redis.host are placeholders');
    if (!objects.some((o) => o.kind === 'CronJob')) errors.push('production: no settlement CronJobs');
  }
}

// aggpayd itself reads each rendered aggpayd.yaml: a config it accepts gets as far as the
// --services check, which a made-up name then fails (exit 1); a refused config exits 2 naming
// the key.
function configRules(objects, errors) {
  if (!opts.aggpayd) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'aggpay-config-'));
  try {
    for (const cm of objects.filter((o) => o.kind === 'ConfigMap' && o.data?.['aggpayd.yaml'])) {
      const file = path.join(dir, 'aggpayd.yaml');
      writeFileSync(file, cm.data['aggpayd.yaml']);
      let stderr = '';
      try {
        execFileSync(opts.aggpayd, ['--config', file, 'serve', '--services=chart-check'],
          { encoding: 'utf8', env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (e) {
        stderr = String(e.stderr ?? '');
      }
      if (!/--services: unknown service "chart-check"/.test(stderr)) {
        errors.push(`${ref(cm)}: aggpayd refuses its aggpayd.yaml: ${stderr.trim() || 'no error at all'}`);
        continue;
      }
      // "(known: all, admin, fee, ...)": every --services the chart passes must be one of them.
      const known = (stderr.match(/\(known: ([^)]*)\)/)?.[1] ?? '').split(', ');
      for (const d of objects.filter((o) => o.kind === 'Deployment')) {
        for (const c of d.spec.template.spec.containers.filter(isAggpaydServe)) {
          for (const name of (c.args.find((a) => a.startsWith('--services=')) ?? '').slice(11).split(',')) {
            if (!known.includes(name)) errors.push(`${ref(d)}: aggpayd cannot host --services=${name} (known: ${known.join(', ')})`);
          }
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The gateway parses its rendered flags (a trailing positional argument stops it right after),
// and every service it routes REST to (its -<name>-addr flags) gets an address from the chart.
function gatewayRules(objects, errors) {
  if (!opts.gateway) return;
  const run = (args) => spawnSync(opts.gateway, args,
    { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 10000 }).stderr ?? '';
  const routed = [...run(['-h']).matchAll(/^\s+-([a-z]+)-addr\b/gm)].map((m) => m[1]);
  if (!routed.length) errors.push(`${opts.gateway} -h names no -<service>-addr flag`);
  for (const d of objects.filter((o) => o.kind === 'Deployment' && component(o.metadata.labels) === 'gateway')) {
    const c = d.spec.template.spec.containers[0];
    const out = run([...(c.args ?? []), 'chart-check']);
    if (!/unexpected argument "chart-check"/.test(out)) errors.push(`${ref(d)}: the gateway refuses its arguments: ${out.trim().split('\n')[0]}`);
    for (const name of routed) {
      if (!(c.args ?? []).includes(`--${name}-addr`)) errors.push(`${ref(d)}: no --${name}-addr: the gateway would send ${name}'s REST routes to --grpc-addr`);
    }
  }
}

function checkRules(set, objects) {
  const errors = [];
  workloadRules(set, objects, errors);
  configRules(objects, errors);
  gatewayRules(objects, errors);
  return errors;
}

// --- selftest --------------------------------------------------------------------------------

const clone = (x) => JSON.parse(JSON.stringify(x));
const find = (objs, kind, comp) => objs.find((o) => o.kind === kind && component(o.metadata.labels) === comp);
const t1 = (objs) => objs.find((o) => o.kind === 'CronJob' && o.metadata.labels['aggpay.io/cycle'] === 'T1');

const BREAKS = [
  ['no readiness probe', /no readinessProbe/, (o) => { delete find(o, 'Deployment', 'binding').spec.template.spec.containers[0].readinessProbe; }],
  ['liveness over HTTP', /gRPC health service/, (o) => { const c = find(o, 'Deployment', 'fee').spec.template.spec.containers[0]; c.livenessProbe = { httpGet: { path: '/healthz', port: 'http' } }; }],
  ['an inline password', /inline value/, (o) => { find(o, 'Deployment', 'payment').spec.template.spec.containers[0].env.push({ name: 'AGGPAY_MYSQL_PASSWORD', value: 'hunter2' }); }],
  ['a Secret object', /renders a Secret/, (o) => { o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' }, stringData: { a: 'b' } }); }],
  ['a password in the ConfigMap', /secrets come from the Secret/, (o) => { const cm = o.find((x) => x.kind === 'ConfigMap'); cm.data['aggpayd.yaml'] += '\nextra:\n  password: x\n'; }],
  ['capabilities kept', /capabilities.drop/, (o) => { find(o, 'Deployment', 'gateway').spec.template.spec.containers[0].securityContext.capabilities = {}; }],
  ['root filesystem writable', /readOnlyRootFilesystem/, (o) => { find(o, 'Deployment', 'risk').spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false; }],
  ['no seccomp', /seccompProfile/, (o) => { delete find(o, 'Deployment', 'admin').spec.template.spec.securityContext.seccompProfile; }],
  ['no resources', /resources.requests/, (o) => { delete find(o, 'Deployment', 'merchant').spec.template.spec.containers[0].resources; }],
  ['no NetworkPolicy for the gateway', /no NetworkPolicy selects/, (o) => { o.splice(o.indexOf(find(o, 'NetworkPolicy', 'gateway')), 1); }],
  ['a service open to the world', /outside the release/, (o) => { find(o, 'NetworkPolicy', 'fee').spec.ingress[0].from.push({ ipBlock: { cidr: '0.0.0.0/0' } }); }],
  ['the gateway reaching MySQL', /only DNS and the services' gRPC/, (o) => { find(o, 'NetworkPolicy', 'gateway').spec.egress.push({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 3306, protocol: 'TCP' }] }); }],
  ['completions not the shard count', /not the Job's completions/, (o) => { t1(o).spec.jobTemplate.spec.completions = 3; }],
  ['every pod on one shard', /no pod runs --shard 2\/4, --shard 3\/4, --shard 4\/4/, (o) => { const c = t1(o).spec.jobTemplate.spec.template.spec.containers[0]; const i = c.args.indexOf('--indexed-job'); c.args.splice(i, 2, '--shard', '1/4'); }],
  ['a fixed date and another CronJob name', /settles 20\d\d-\d\d-\d\d, not 2026-05-01|refuses its arguments/, (o) => { const c = t1(o).spec.jobTemplate.spec.template.spec.containers[0]; const i = c.args.indexOf('--cronjob'); c.args.splice(i, 2, '--cronjob', 'another-name'); c.env.find((e) => e.name === 'SETTLEMENT_DATE').value = '2026-04-30'; }],
  ['a shell wrapper', /runs \/bin\/sh, not an aggpay binary/, (o) => { const c = t1(o).spec.jobTemplate.spec.template.spec.containers[0]; c.args = ['exec /usr/local/bin/aggpayd "$@"', ...c.args]; c.command = ['/bin/sh', '-c']; }],
  ['a Job that may overlap the next', /Forbid/, (o) => { t1(o).spec.concurrencyPolicy = 'Allow'; }],
  ['the migration not a hook', /pre-install,pre-upgrade hook/, (o) => { delete find(o, 'Job', 'migrate').metadata.annotations['helm.sh/hook']; }],
  ['no PDB', /PodDisruptionBudget/, (o) => { o.splice(o.indexOf(find(o, 'PodDisruptionBudget', 'terminal')), 1); }],
  ['no HPA', /HorizontalPodAutoscaler/, (o) => { o.splice(o.indexOf(find(o, 'HorizontalPodAutoscaler', 'settlement')), 1); }],
  ['QR codes pointing elsewhere', /binding.public_base_url is https:\/\/pay.aggpay.local/, (o) => { for (const cm of o.filter((x) => x.kind === 'ConfigMap')) cm.data['aggpayd.yaml'] = cm.data['aggpayd.yaml'].replace('https://pay.example.com', 'https://pay.aggpay.local'); }],
  ['binding without the sealing key', /hosts binding, which does not start without AGGPAY_SECRET_KEY/, (o) => { const c = find(o, 'Deployment', 'binding').spec.template.spec.containers[0]; c.env = c.env.filter((e) => e.name !== 'AGGPAY_SECRET_KEY'); }],
  ['the sealing key where it is not used', /gets AGGPAY_SECRET_KEY, which fee does not use/, (o) => { find(o, 'Deployment', 'fee').spec.template.spec.containers[0].env.push({ name: 'AGGPAY_SECRET_KEY', valueFrom: { secretKeyRef: { name: SECRET, key: 'AGGPAY_SECRET_KEY' } } }); }],
  ['an Ingress without TLS', /Ingress with TLS/, (o) => { delete o.find((x) => x.kind === 'Ingress').spec.tls; }],
  ['a service aggpayd cannot host', /cannot host --services=ledger/, (o) => { const c = find(o, 'Deployment', 'fee').spec.template.spec.containers[0]; c.args = c.args.map((a) => (a === '--services=fee' ? '--services=ledger' : a)); }],
  ['a flag the gateway does not know', /refuses its arguments: flag provided but not defined: -listen-addr/, (o) => { const c = find(o, 'Deployment', 'gateway').spec.template.spec.containers[0]; c.args[0] = '--listen-addr'; }],
  ['a REST service without its address', /no --settlement-addr/, (o) => { const c = find(o, 'Deployment', 'gateway').spec.template.spec.containers[0]; const i = c.args.indexOf('--settlement-addr'); c.args.splice(i, 2); }],
  ['a key aggpayd does not know', /aggpayd refuses its aggpayd.yaml: .*settlement.d0_timer: unknown key/, (o) => { const cm = o.find((x) => x.kind === 'ConfigMap'); cm.data['aggpayd.yaml'] = cm.data['aggpayd.yaml'].replace('d0_schedule:', 'd0_timer:'); }],
];

function selftest() {
  if (!opts.aggpayd || !opts.gateway) return ['selftest: --aggpayd and --gateway are required'];
  const base = render(VALUE_SETS[0]);
  const failures = [];
  const clean = checkRules(VALUE_SETS[0], base);
  if (clean.length) failures.push(`the unbroken default render fails: ${clean[0]}`);
  for (const [what, want, breakIt] of BREAKS) {
    const objs = clone(base);
    breakIt(objs);
    const errors = checkRules(VALUE_SETS[0], objs);
    if (!errors.some((e) => want.test(e))) failures.push(`${what}: not reported (got: ${errors.join(' | ') || 'nothing'})`);
  }
  // And against the schema: a wrong type is refused.
  const objs = clone(base);
  find(objs, 'Deployment', 'fee').spec.template.spec.containers[0].ports[0].containerPort = 'grpc';
  if (!schemaErrors(objs).some((e) => /containerPort/.test(e))) failures.push('a string containerPort passes the schema check');
  console.log(`selftest: ${BREAKS.length + 1} broken renders, ${failures.length} not caught`);
  return failures;
}

// Bad values are refused at `helm template` (values.schema.json, or the templates' own checks),
// with a message naming the value.
const REFUSALS = [
  [['--set', 'settlement.t1.shards=0'], 'settlement.t1.shards'],
  [['--set', 'settlement.t1.schedule=0 2 * *'], 'settlement.t1.schedule'],
  [['--set', 'settlement.t1.concurrencyPolicy=Allow'], 'settlement.t1.concurrencyPolicy'],
  [['--set', 'mysql.port=mysql'], 'mysql.port'],
  [['--set', 'services.ledger.enabled=true'], 'ledger'],
  [['--set', 'existingSecret='], 'existingSecret'],
  [['--set', 'gateway.ingress.host='], 'gateway.ingress.host'],
  [['--set', 'config.extra.mysql.host=x'], 'config.extra.mysql'],
  [['--set', 'settlement.t1.parallelism=9'], 'settlement.t1.parallelism'],
  [['--set', 'services.admin.enabled=false'], 'services.admin.enabled'],
];

function refusals() {
  const failures = [];
  for (const [args, field] of REFUSALS) {
    let out = '';
    try {
      helm(['template', RELEASE, opts.chart, ...args]);
    } catch (e) {
      out = e.message;
    }
    if (!out) failures.push(`helm template ${args.join(' ')} is accepted`);
    else if (!out.includes(field)) failures.push(`helm template ${args.join(' ')} is refused without naming ${field}: ${out.split('\n').slice(0, 3).join(' ')}`);
  }
  console.log(`refusals: ${REFUSALS.length} bad values, ${failures.length} not refused by name`);
  return failures;
}

// --- main ------------------------------------------------------------------------------------

function main() {
  const failures = [];
  if (opts.mode === 'selftest') {
    failures.push(...selftest());
  } else {
    for (const set of VALUE_SETS) {
      try {
        if (opts.mode === 'lint') {
          const out = helm(['lint', opts.chart, '--strict', ...valueArgs(set)]);
          const notes = out.split('\n').filter((l) => /^\[(INFO|WARNING|ERROR)\]/.test(l) && !/icon is recommended/.test(l));
          failures.push(...notes.map((l) => `${set.name}: ${l}`));
          console.log(`${set.name}: helm lint ok`);
          continue;
        }
        const objects = render(set);
        const errors = opts.mode === 'schema' ? schemaErrors(objects) : checkRules(set, objects);
        failures.push(...errors.map((e) => `${set.name}: ${e}`));
        const kinds = {};
        for (const o of objects) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
        console.log(`${set.name}: ${objects.length} objects (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')}), ${errors.length} failure(s)`);
      } catch (e) {
        failures.push(`${set.name}: ${e.message}`);
      }
    }
  }
  if (opts.mode === 'lint') failures.push(...refusals());
  for (const f of failures) console.log(`FAIL ${f}`);
  process.exit(failures.length ? 1 : 0);
}

main();
