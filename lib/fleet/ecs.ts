import {
  type ContainerInstanceStatus,
  type ECSClient,
  ListAttributesCommand,
  ListContainerInstancesCommand,
} from '@aws-sdk/client-ecs';
import { SECRET_VERSION_ATTRIBUTE, type VersionAttribute } from './counts';

/** ECS's largest page for both listings. */
const PAGE_SIZE = 100;

/**
 * Every `batch-registry-gateway.secret-version` attribute of the cluster's container instances
 * (ListAttributes, targetType container-instance, all pages of 100): one call per page, never
 * one per instance.
 */
export async function listVersionAttributes(ecs: ECSClient, cluster: string): Promise<VersionAttribute[]> {
  const attributes: VersionAttribute[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(
      new ListAttributesCommand({
        cluster,
        targetType: 'container-instance',
        attributeName: SECRET_VERSION_ATTRIBUTE,
        maxResults: PAGE_SIZE,
        nextToken,
      }),
    );
    for (const attribute of page.attributes ?? []) {
      if (attribute.name !== SECRET_VERSION_ATTRIBUTE || !attribute.targetId) continue;
      attributes.push({ targetId: attribute.targetId, value: attribute.value });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return attributes;
}

/** The ARNs of the cluster's container instances with one status (ListContainerInstances, all pages of 100). */
export async function listContainerInstances(
  ecs: ECSClient,
  cluster: string,
  status: ContainerInstanceStatus,
): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(
      new ListContainerInstancesCommand({ cluster, status, maxResults: PAGE_SIZE, nextToken }),
    );
    arns.push(...(page.containerInstanceArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return arns;
}

/**
 * The instances that count for a compute environment's cluster: ACTIVE and DRAINING (a draining
 * instance still runs jobs with the credentials it loaded), listed concurrently with the attributes.
 */
export async function readCluster(
  ecs: ECSClient,
  cluster: string,
): Promise<{ instanceArns: string[]; attributes: VersionAttribute[] }> {
  const [active, draining, attributes] = await Promise.all([
    listContainerInstances(ecs, cluster, 'ACTIVE'),
    listContainerInstances(ecs, cluster, 'DRAINING'),
    listVersionAttributes(ecs, cluster),
  ]);
  return { instanceArns: [...new Set([...active, ...draining])], attributes };
}
