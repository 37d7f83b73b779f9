/** Presets: image fields of common CRDs (`spec.presets`), per the CRDs' published schemas. */
import type { PresetName } from '../config/schema.js';
import { isKind, type WorkloadKind } from './kinds.js';

const TEMPLATE = 'spec.template.spec';

/** Tekton's TaskSpec at `at`: step, sidecar and step template images. */
const taskSpec = (at: string): string[] => [`${at}.steps[].image`, `${at}.sidecars[].image`, `${at}.stepTemplate.image`];

const ARGO = ['argoproj.io'];
const KNATIVE = ['serving.knative.dev'];
const MONITORING = ['monitoring.coreos.com'];
const KRUISE = ['apps.kruise.io'];
const TEKTON = ['tekton.dev'];
const ANALYSIS_JOB = 'spec.metrics[].provider.job.spec.template.spec';

export const PRESETS: Readonly<Record<PresetName, readonly WorkloadKind[]>> = {
  'argo-rollouts': [
    { kind: 'Rollout', groups: ARGO, podSpecs: [TEMPLATE] },
    { kind: 'AnalysisTemplate', groups: ARGO, podSpecs: [ANALYSIS_JOB] },
    { kind: 'ClusterAnalysisTemplate', groups: ARGO, podSpecs: [ANALYSIS_JOB] },
    { kind: 'AnalysisRun', groups: ARGO, podSpecs: [ANALYSIS_JOB] },
    { kind: 'Experiment', groups: ARGO, podSpecs: ['spec.templates[].template.spec'] },
  ],
  'knative-serving': [
    { kind: 'Service', groups: KNATIVE, podSpecs: [TEMPLATE] },
    { kind: 'Configuration', groups: KNATIVE, podSpecs: [TEMPLATE] },
    { kind: 'Revision', groups: KNATIVE, podSpecs: ['spec'] },
  ],
  'prometheus-operator': [
    { kind: 'Prometheus', groups: MONITORING, podSpecs: ['spec'], images: ['spec.image', 'spec.thanos.image'] },
    { kind: 'PrometheusAgent', groups: MONITORING, podSpecs: ['spec'], images: ['spec.image'] },
    { kind: 'Alertmanager', groups: MONITORING, podSpecs: ['spec'], images: ['spec.image'] },
    { kind: 'ThanosRuler', groups: MONITORING, podSpecs: ['spec'], images: ['spec.image'] },
  ],
  openkruise: [
    { kind: 'CloneSet', groups: KRUISE, podSpecs: [TEMPLATE] },
    { kind: 'StatefulSet', groups: KRUISE, podSpecs: [TEMPLATE] },
    { kind: 'DaemonSet', groups: KRUISE, podSpecs: [TEMPLATE] },
    { kind: 'BroadcastJob', groups: KRUISE, podSpecs: [TEMPLATE] },
    {
      kind: 'AdvancedCronJob',
      groups: KRUISE,
      podSpecs: ['spec.template.jobTemplate.spec.template.spec', 'spec.template.broadcastJobTemplate.spec.template.spec'],
    },
    {
      kind: 'UnitedDeployment',
      groups: KRUISE,
      podSpecs: ['statefulSetTemplate', 'advancedStatefulSetTemplate', 'cloneSetTemplate', 'deploymentTemplate'].map((t) => `spec.template.${t}.${TEMPLATE}`),
    },
    { kind: 'SidecarSet', groups: KRUISE, podSpecs: ['spec'] },
    { kind: 'EphemeralJob', groups: KRUISE, podSpecs: ['spec.template'] },
    { kind: 'ImagePullJob', groups: KRUISE, podSpecs: [], images: ['spec.image'] },
    { kind: 'ImageListPullJob', groups: KRUISE, podSpecs: [], images: ['spec.images[]'] },
  ],
  tekton: [
    { kind: 'Task', groups: TEKTON, podSpecs: [], images: taskSpec('spec') },
    { kind: 'ClusterTask', groups: TEKTON, podSpecs: [], images: taskSpec('spec') },
    { kind: 'TaskRun', groups: TEKTON, podSpecs: [], images: taskSpec('spec.taskSpec') },
    { kind: 'Pipeline', groups: TEKTON, podSpecs: [], images: [...taskSpec('spec.tasks[].taskSpec'), ...taskSpec('spec.finally[].taskSpec')] },
    {
      kind: 'PipelineRun',
      groups: TEKTON,
      podSpecs: [],
      images: [...taskSpec('spec.pipelineSpec.tasks[].taskSpec'), ...taskSpec('spec.pipelineSpec.finally[].taskSpec')],
    },
    { kind: 'StepAction', groups: TEKTON, podSpecs: [], images: ['spec.image'] },
  ],
};

export function presetKinds(names: readonly PresetName[]): WorkloadKind[] {
  return names.flatMap((n) => PRESETS[n]);
}

/** Presets that declare `path` for this object type: named in an unchecked field's hint. */
export function presetsCovering(kind: string | undefined, apiVersion: string | undefined, path: string): PresetName[] {
  return (Object.keys(PRESETS) as PresetName[]).filter((name) =>
    PRESETS[name].some((w) => isKind(w, kind, apiVersion) && ((w.images ?? []).includes(path) || w.podSpecs.some((p) => path.startsWith(`${p}.`)))),
  );
}
