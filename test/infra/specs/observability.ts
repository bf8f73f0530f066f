import type { Template } from 'aws-cdk-lib/assertions';
import { CONFIGURED, logicalId, synthStage } from '../support/synth';

type AlarmProps = {
  AlarmDescription: string;
  Threshold: number;
  Metrics?: {
    Id: string;
    Expression?: string;
    MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] } };
  }[];
  MetricName?: string;
  Namespace?: string;
  ExtendedStatistic?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  AlarmActions?: unknown[];
};

function alarms(t: Template): Record<string, AlarmProps> {
  return Object.fromEntries(
    Object.entries(t.findResources('AWS::CloudWatch::Alarm')).map(([id, r]) => [id, r.Properties as AlarmProps]),
  );
}
const find = (all: Record<string, AlarmProps>, idPart: string): AlarmProps => {
  const hit = Object.entries(all).find(([id]) => id.includes(idPart));
  if (!hit) throw new Error(`no alarm ${idPart}`);
  return hit[1];
};

describe('observability', () => {
  const s = synthStage('prod');
  const all = alarms(s.statelessTemplate);

  it('alarms on decide error rate and p99 latency', () => {
    const rate = find(all, 'DecideErrorRate');
    expect(rate.Threshold).toBe(1);
    expect(
      rate.Metrics?.map((m) => m.MetricStat?.Metric.MetricName)
        .filter(Boolean)
        .sort(),
    ).toEqual(['Errors', 'Invocations']);
    const p99 = find(all, 'DecideLatencyP99');
    expect(p99.MetricName).toBe('Duration');
    expect(p99.ExtendedStatistic).toBe('p99');
    expect(p99.Dimensions).toEqual([
      { Name: 'FunctionName', Value: { Ref: logicalId(s.stateless.decision.decide.fn) } },
    ]);
  });

  it.each([
    ['DenyRate', 'deny', 10],
    ['StepUpRate', 'step_up', 30],
  ])('%s is the share of %s among Stepgate Decisions', (id, decision, threshold) => {
    const a = find(all, id);
    expect(a.Threshold).toBe(threshold);
    const stats = a.Metrics!.filter((m) => m.MetricStat).map((m) => m.MetricStat!.Metric);
    expect(stats).toHaveLength(3);
    for (const m of stats) {
      expect(m.Namespace).toBe('Stepgate');
      expect(m.MetricName).toBe('Decisions');
    }
    const values = stats.map((m) => Object.fromEntries(m.Dimensions!.map((d) => [d.Name, d.Value])));
    expect(values).toEqual(
      expect.arrayContaining([
        { service: 'stepgate', Decision: 'allow' },
        { service: 'stepgate', Decision: 'step_up' },
        { service: 'stepgate', Decision: 'deny' },
      ]),
    );
    const expression = a.Metrics!.find((m) => m.Expression)!.Expression!;
    expect(expression).toContain(decision === 'deny' ? '100 * d' : '100 * s');
  });

  it.each(['DecisionsFailedClosed', 'VerificationFailed', 'AuditWriteFailed'])('alarms on the %s metric', (metric) => {
    const a = Object.values(all).find((x) => x.MetricName === metric);
    expect(a?.Namespace).toBe('Stepgate');
    expect(a?.Dimensions).toEqual([{ Name: 'service', Value: 'stepgate' }]);
  });

  it('alarms on API 5xx, trigger errors and each trigger p99 against the 5 s limit', () => {
    expect(find(all, 'Api5xx').MetricName).toBe('5xx');
    expect(find(all, 'TriggerErrors').Threshold).toBe(0);
    const triggerLatency = Object.entries(all).filter(([id]) => id.includes('TriggerLatencyP99'));
    expect(triggerLatency).toHaveLength(5);
    for (const [, a] of triggerLatency) expect(a.Threshold).toBeLessThan(5000);
  });

  it('uses looser thresholds in dev', () => {
    const dev = alarms(synthStage('dev').statelessTemplate);
    expect(find(dev, 'DecideErrorRate').Threshold).toBeGreaterThan(find(all, 'DecideErrorRate').Threshold);
    expect(find(dev, 'DenyRate').Threshold).toBeGreaterThan(find(all, 'DenyRate').Threshold);
  });

  it('has a dashboard', () => {
    s.statelessTemplate.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('notifies the configured topic, when there is one', () => {
    expect(Object.values(all).every((a) => a.AlarmActions === undefined)).toBe(true);
    const withTopic = alarms(synthStage('dev', CONFIGURED).statelessTemplate);
    for (const a of Object.values(withTopic)) expect(a.AlarmActions).toEqual([CONFIGURED.alarmTopicArn]);
  });
});
