import { Construct } from 'constructs';
import type { ApiFunctionsProps } from './decision-api';
import { StepgateFunction } from './stepgate-function';

/**
 * The security-staff path: the admin function (policy, simulate, history, labels) and the audit function (export,
 * verify) on their API_ROUTES routes, behind the `user` authorizer. The JWT authorizer cannot check groups: each
 * route's groups (risk-admins, risk-auditors) are in API_ROUTES, and the functions check them against the token's
 * `cognito:groups` before anything else.
 */
export class AdminApi extends Construct {
  readonly admin: StepgateFunction;
  readonly audit: StepgateFunction;

  constructor(scope: Construct, id: string, props: ApiFunctionsProps) {
    super(scope, id);
    const common = {
      tables: props.tables,
      secret: props.secret,
      environment: props.environment,
      logRetention: props.logRetention,
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    };
    this.admin = new StepgateFunction(this, 'Admin', { name: 'admin', ...common });
    this.audit = new StepgateFunction(this, 'Audit', { name: 'audit', ...common });
    props.http.mount('admin', this.admin.fn);
    props.http.mount('audit', this.audit.fn);
  }
}
