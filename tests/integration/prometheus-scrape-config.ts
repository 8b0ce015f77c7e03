/**
 * What the Prometheus charm does with a `prometheus_scrape` relation (charms.prometheus_k8s'
 * MetricsEndpointConsumer, reduced to what orchestra sends): each job in the app databag's
 * `scrape_jobs` is kept as it is (metrics_path and the rest), named after the Juju topology
 * from `scrape_metadata`, and every `*` host in its targets becomes each related unit's
 * `prometheus_scrape_unit_address`, with the topology as labels. The relations test renders
 * the counterpart's prometheus.yml with it, so Prometheus scrapes exactly what orchestra
 * published.
 */

/** One related unit's databag, as the consumer reads it. */
export interface ScrapeUnit {
  prometheus_scrape_unit_address?: string;
  prometheus_scrape_unit_name?: string;
}

interface StaticConfig {
  targets: string[];
  labels?: Record<string, string>;
}

interface ScrapeJob {
  job_name?: string;
  static_configs?: StaticConfig[];
  [key: string]: unknown;
}

/** prometheus.yml (as JSON, which is YAML) for one provider's relation data. */
export function renderPrometheusConfig(appData: Record<string, string>, units: readonly ScrapeUnit[]): string {
  const jobs = JSON.parse(appData.scrape_jobs ?? "[]") as ScrapeJob[];
  const meta = JSON.parse(appData.scrape_metadata ?? "{}") as Record<string, string>;
  const topology = {
    juju_model: meta.model ?? "",
    juju_model_uuid: meta.model_uuid ?? "",
    juju_application: meta.application ?? "",
    juju_charm: meta.charm_name ?? "",
  };
  const prefix = `juju_${topology.juju_model}_${topology.juju_model_uuid.slice(0, 7)}_${topology.juju_application}`;
  const scrapeConfigs = jobs.map((job, index) => {
    const staticConfigs = (job.static_configs ?? []).flatMap((config) => {
      const wildcard = config.targets.filter((t) => t.startsWith("*:"));
      const fixed = config.targets.filter((t) => !t.startsWith("*:"));
      const perUnit = wildcard.flatMap((t) => units.filter((u) => u.prometheus_scrape_unit_address).map((u) => ({
        targets: [`${u.prometheus_scrape_unit_address}:${t.slice(2)}`],
        labels: { ...config.labels, ...topology, juju_unit: u.prometheus_scrape_unit_name ?? "" },
      })));
      return [...(fixed.length > 0 ? [{ targets: fixed, labels: { ...config.labels, ...topology } }] : []), ...perUnit];
    });
    return { ...job, job_name: `${prefix}_prometheus_scrape_${job.job_name ?? `job-${index}`}`, static_configs: staticConfigs };
  });
  return `${JSON.stringify({ global: { scrape_interval: "5s", evaluation_interval: "5s" }, scrape_configs: scrapeConfigs }, null, 2)}\n`;
}
