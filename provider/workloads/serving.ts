/**
 * The shape web and streaming share: a Deployment that keeps serving through a rollout, a
 * Service in front of it, a disruption budget when it may have more than one pod, and its autoscaler when it has one.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ResourceProfile } from "../args";
import { BuildContext, childOpts } from "../context";
import { componentLabels, selectorLabels } from "../names";
import { MastodonPodSpec, MastodonRuntime, mastodonPodTemplate } from "./mastodonPod";
import { Scaling, cpuAutoscaler, deploymentReplicas, disruptionBudget, isReplicated } from "./scaling";

export interface ServingProcess {
  component: "web" | "streaming";
  scaling: Scaling;
  port: number;
  portName: string;
  resources: ResourceProfile;
  mountsMedia: boolean;
  container: Omit<MastodonPodSpec["container"], "name" | "ports">;
}

export function servingProcess(ctx: BuildContext, rt: MastodonRuntime, p: ServingProcess, dependsOn: pulumi.Input<pulumi.Resource>[]) {
  const { name, namespace, config } = ctx;
  const fullName = `${name}-${p.component}`;
  const selector = selectorLabels(name, p.component);
  const deployment = new k8s.apps.v1.Deployment(fullName, {
    metadata: { name: fullName, namespace, labels: componentLabels(name, p.component, config.version.tag) },
    spec: {
      replicas: deploymentReplicas(p.scaling),
      revisionHistoryLimit: 3,
      selector: { matchLabels: selector },
      // Keep serving through a version change: a new pod must be ready before an old one stops.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: mastodonPodTemplate(ctx, rt, {
        component: p.component,
        version: config.version.tag,
        mountsMedia: p.mountsMedia,
        spreadBy: isReplicated(p.scaling) ? selector : undefined,
        resources: p.resources,
        container: { name: p.component, ...p.container, ports: [{ name: p.portName, containerPort: p.port, protocol: "TCP" }] },
      }),
    },
  }, childOpts(ctx, { dependsOn }));

  // @pulumi/kubernetes awaits a Service until a pod it selects is ready, under the Service's own 10-minute timeout.
  // Created alongside the Deployment on a first install, that one wait would span PostgreSQL's start, the whole
  // pre-deployment migration and the rollout, and could time out while each of them is on schedule. Created after
  // the Deployment is rolled out, it is ready at once; the route to it (IngressRoute) only names it, so nothing
  // serves traffic earlier than before.
  const service = new k8s.core.v1.Service(fullName, {
    metadata: { name: fullName, namespace, labels: componentLabels(name, p.component) },
    spec: { selector, ports: [{ name: p.portName, port: p.port, targetPort: p.portName, protocol: "TCP" }] },
  }, childOpts(ctx, { dependsOn: [deployment] }));

  disruptionBudget(ctx, p.component, p.scaling, selector, p.component);
  const autoscaler = p.scaling.autoscaling ? cpuAutoscaler(ctx, p.component, deployment, p.scaling.autoscaling, p.component) : undefined;
  return { deployment, service, autoscaler };
}
