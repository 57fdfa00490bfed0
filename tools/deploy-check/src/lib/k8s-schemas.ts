import { apps, autoscaling, networkingK8sIo, policy, v1 } from 'kubernetes-models';
import type { Obj } from './yaml';

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/**
 * The built-in kinds the manifests may use, each with its kubernetes-models class (generated from the
 * Kubernetes OpenAPI schemas; `validate()` checks types, enums, required fields and formats). A kind missing
 * here fails the check, so every object rendered is validated against a schema.
 */
const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': v1.ConfigMap,
  'v1/Namespace': v1.Namespace,
  'v1/PersistentVolumeClaim': v1.PersistentVolumeClaim,
  'v1/Secret': v1.Secret,
  'v1/Service': v1.Service,
  'v1/ServiceAccount': v1.ServiceAccount,
  'apps/v1/Deployment': apps.v1.Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': autoscaling.v2.HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': networkingK8sIo.v1.Ingress,
  'networking.k8s.io/v1/NetworkPolicy': networkingK8sIo.v1.NetworkPolicy,
  'policy/v1/PodDisruptionBudget': policy.v1.PodDisruptionBudget,
};

export function hasBuiltInSchema(o: Obj): boolean {
  return `${String(o['apiVersion'])}/${String(o['kind'])}` in MODELS;
}

/** Schema problems of a built-in object ([] when valid); throws for a kind without a known schema. */
export function builtInSchemaProblems(o: Obj): string[] {
  const key = `${String(o['apiVersion'])}/${String(o['kind'])}`;
  const Model = MODELS[key];
  if (!Model) throw new Error(`no Kubernetes schema known for ${key}`);
  try {
    new Model(o as never).validate();
    return [];
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
}
