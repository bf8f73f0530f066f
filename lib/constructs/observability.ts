import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRICS } from '../../lambdas/contracts/metrics';
import type { AlarmThresholds } from '../stage-config';

export interface ObservabilityProps {
  /** Dashboard name: `<prefix>`. */
  readonly prefix: string;
  readonly decide: IFunction;
  /** Other API functions whose errors page someone (admin, audit, totp). */
  readonly apiFunctions: readonly IFunction[];
  /** Cognito triggers by name: an error or a slow answer breaks sign-in and step-up. */
  readonly triggers: Readonly<Record<string, IFunction>>;
  readonly api: IHttpApi;
  readonly thresholds: AlarmThresholds;
  /**
   * SNS topic alarms notify (OK and ALARM).
   * @default - alarms only change state
   */
  readonly alarmTopicArn?: string;
}

const PERIOD = Duration.minutes(5);
const DECISIONS = ['allow', 'step_up', 'deny'] as const;

/**
 * Alarms and a dashboard for the signals an operator acts on: decide errors, p99 latency and fail-closed answers,
 * deny and step-up rates (from the handlers' EMF metrics), failed verifications, failed audit writes, API 5xx, and
 * trigger errors and latency against Cognito's 5 s limit.
 */
export class Observability extends Construct {
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const t = props.thresholds;
    const action = props.alarmTopicArn
      ? new SnsAction(Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn))
      : undefined;
    // Default: 2 of the last 3 periods, so one noisy period does not page.
    const alarm = (
      alarmId: string,
      description: string,
      metric: IMetric,
      threshold: number,
      periods = 3,
      toAlarm = 2,
    ) => {
      const a = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: periods,
        datapointsToAlarm: toAlarm,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (action) {
        a.addAlarmAction(action);
        a.addOkAction(action);
      }
      this.alarms.push(a);
      return a;
    };

    const decisions = Object.fromEntries(
      DECISIONS.map((d) => [d, stepgateMetric(METRICS.decisions, { [METRICS.decisionDimension]: d })]),
    ) as Record<(typeof DECISIONS)[number], Metric>;
    const share = (of: 'deny' | 'step_up', label: string) =>
      new MathExpression({
        // Quiet below a minimum volume: a handful of denies out of a handful of decisions is not an incident.
        expression: `IF((a + s + d) >= ${t.minDecisionsForRate}, 100 * ${of === 'deny' ? 'd' : 's'} / (a + s + d), 0)`,
        usingMetrics: { a: decisions.allow, s: decisions.step_up, d: decisions.deny },
        label,
        period: PERIOD,
      });
    const denyRate = share('deny', 'deny %');
    const stepUpRate = share('step_up', 'step-up %');
    const errorRate = new MathExpression({
      expression: 'IF(i > 0, 100 * e / i, 0)',
      usingMetrics: {
        e: props.decide.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        i: props.decide.metricInvocations({ period: PERIOD, statistic: 'Sum' }),
      },
      label: 'decide errors %',
      period: PERIOD,
    });
    const decideP99 = props.decide.metricDuration({ period: PERIOD, statistic: 'p99' });
    const failedClosed = stepgateMetric(METRICS.decisionsFailedClosed);
    const verificationFailed = stepgateMetric(METRICS.verificationFailed);
    const auditWriteFailed = stepgateMetric(METRICS.auditWriteFailed);
    const api5xx = props.api.metricServerError({ period: PERIOD, statistic: 'Sum' });
    const sumOf = (label: string, fns: readonly IFunction[], metric: (fn: IFunction) => Metric) =>
      new MathExpression({
        expression: fns.map((_, i) => `m${i}`).join(' + ') || '0',
        usingMetrics: Object.fromEntries(fns.map((fn, i) => [`m${i}`, metric(fn)])),
        label,
        period: PERIOD,
      });
    const triggers = Object.values(props.triggers);
    const triggerErrors = sumOf('trigger errors', triggers, (fn) =>
      fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
    );
    const apiFunctionErrors = sumOf('other API function errors', props.apiFunctions, (fn) =>
      fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
    );

    alarm(
      'DecideErrorRate',
      `decide Lambda errors above ${t.decideErrorRatePercent}% of invocations`,
      errorRate,
      t.decideErrorRatePercent,
    );
    alarm('DecideLatencyP99', `decide Lambda p99 above ${t.decideP99LatencyMs} ms`, decideP99, t.decideP99LatencyMs);
    alarm(
      'DenyRate',
      `deny above ${t.denyRatePercent}% of decisions: attack, or a policy change gone wrong`,
      denyRate,
      t.denyRatePercent,
    );
    alarm(
      'StepUpRate',
      `step_up above ${t.stepUpRatePercent}% of decisions: friction for users`,
      stepUpRate,
      t.stepUpRatePercent,
    );
    alarm(
      'DecisionsFailedClosed',
      'decide answered without its store (fail closed): users get step_up or deny until DynamoDB answers again',
      failedClosed,
      0,
    );
    alarm(
      'VerificationFailures',
      `more than ${t.verificationFailuresPer5Min} failed step-up verifications in 5 minutes: code guessing or a broken sender`,
      verificationFailed,
      t.verificationFailuresPer5Min,
    );
    // One failed audit write is already an incident: alarm on the first datapoint.
    alarm(
      'AuditWriteFailed',
      'an audit record could not be appended: the trail (SOC 2 evidence) has a hole until this is explained',
      auditWriteFailed,
      0,
      1,
      1,
    );
    alarm('Api5xx', `more than ${t.api5xxPer5Min} API 5xx responses in 5 minutes`, api5xx, t.api5xxPer5Min);
    alarm('TriggerErrors', 'a Cognito trigger failed: sign-in or step-up is failing for users', triggerErrors, 0, 1, 1);
    alarm('ApiFunctionErrors', 'an admin, audit or TOTP enrolment function failed', apiFunctionErrors, 0);
    for (const [name, fn] of Object.entries(props.triggers)) {
      alarm(
        `TriggerLatencyP99-${name}`,
        `${name} p99 above ${t.triggerP99LatencyMs} ms; Cognito gives up at 5 s`,
        fn.metricDuration({ period: PERIOD, statistic: 'p99' }),
        t.triggerP99LatencyMs,
      );
    }

    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.prefix });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${props.prefix}\nDecisions, step-up, audit and API health.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Decisions',
        left: DECISIONS.map((d) => decisions[d].with({ label: d })),
        stacked: true,
        width: 12,
      }),
      new GraphWidget({ title: 'Deny / step-up rate (%)', left: [denyRate, stepUpRate], width: 12 }),
      new GraphWidget({
        title: 'decide latency (ms)',
        left: [
          props.decide.metricDuration({ period: PERIOD, statistic: 'p50' }).with({ label: 'p50' }),
          decideP99.with({ label: 'p99' }),
        ],
        width: 12,
      }),
      new GraphWidget({ title: 'decide errors (%)', left: [errorRate], width: 12 }),
      new GraphWidget({
        title: 'API requests and errors',
        left: [props.api.metricCount({ period: PERIOD, statistic: 'Sum' }).with({ label: 'requests' })],
        right: [
          props.api.metricClientError({ period: PERIOD, statistic: 'Sum' }).with({ label: '4xx' }),
          api5xx.with({ label: '5xx' }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Fail-closed decisions, step-up verification and audit failures',
        left: [
          failedClosed.with({ label: 'decisions failed closed' }),
          verificationFailed.with({ label: 'verification failed' }),
          auditWriteFailed.with({ label: 'audit write failed' }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Cognito triggers p99 (ms), limit 5000',
        left: Object.entries(props.triggers).map(([name, fn]) =>
          fn.metricDuration({ period: PERIOD, statistic: 'p99' }).with({ label: name }),
        ),
        right: [triggerErrors],
        width: 24,
      }),
    );
  }
}

function stepgateMetric(metricName: string, extra: Record<string, string> = {}): Metric {
  return new Metric({
    namespace: METRICS.namespace,
    metricName,
    dimensionsMap: { [METRICS.serviceDimension]: METRICS.serviceName, ...extra },
    statistic: 'Sum',
    period: PERIOD,
  });
}
