import type { Template } from 'aws-cdk-lib/assertions';
import { LAMBDA_ENTRIES, SCHEDULED_LAMBDAS, TRIGGER_LAMBDAS, type LambdaName } from '../../../lib/lambda-entries';
import type { StepgateFunction } from '../../../lib/constructs/stepgate-function';
import {
  actionsOf,
  allowedByResource,
  CONFIGURED,
  logicalId,
  statementsOfRole,
  synthStage,
  type Synthesized,
} from '../support/synth';

const s: Synthesized = synthStage('dev');
const fns: Record<LambdaName, StepgateFunction> = {
  decide: s.stateless.decision.decide,
  admin: s.stateless.admin.admin,
  audit: s.stateless.admin.audit,
  totp: s.stateless.stepUp.totp,
  'audit-checkpoint': s.stateful.anchoring.writer,
  ...s.stateful.auth.triggers,
};
const templateOf = (name: LambdaName): Template =>
  [...TRIGGER_LAMBDAS, ...SCHEDULED_LAMBDAS].includes(name as never) ? s.statefulTemplate : s.statelessTemplate;
const labels = {
  [logicalId(s.stateful.tables.risk)]: 'risk',
  [logicalId(s.stateful.tables.audit)]: 'audit',
  [logicalId(s.stateful.tables.policy)]: 'policy',
  [logicalId(s.stateful.tables.key)]: 'key',
  [logicalId(s.stateful.secrets.secret)]: 'secret',
};

function statements(name: LambdaName) {
  return statementsOfRole(templateOf(name), logicalId(fns[name].role));
}
function access(name: LambdaName): Record<string, string[]> {
  return allowedByResource(statements(name), labels);
}
const ddb = (...actions: string[]) => actions.map((a) => `dynamodb:${a}`).sort();
const AUDIT_APPEND = ddb('PutItem');

describe('IAM: each function holds exactly the table actions it uses', () => {
  it('decide reads and writes risk, only reads policy, only appends to audit', () => {
    const a = access('decide');
    expect(a.risk).toEqual(ddb('GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem'));
    expect(a.policy).toEqual(ddb('GetItem', 'BatchGetItem'));
    expect(a.audit).toEqual(AUDIT_APPEND);
    expect(Object.keys(a).some((k) => k.includes('/index/'))).toBe(false);
  });

  it('admin writes policy versions, reads risk history by user and by time, labels events, appends to audit', () => {
    const a = access('admin');
    expect(a.policy).toEqual(ddb('GetItem', 'Query', 'PutItem', 'UpdateItem', 'ConditionCheckItem'));
    expect(a.risk).toEqual(ddb('GetItem', 'BatchGetItem', 'Query', 'UpdateItem'));
    expect(a['risk/index/byUser']).toEqual(ddb('Query'));
    expect(a['risk/index/byTime']).toEqual(ddb('Query'));
    expect(a.audit).toEqual(AUDIT_APPEND);
  });

  it('audit reads the trail by Query only (no Scan, no GetItem) and appends its own read records', () => {
    const a = access('audit');
    expect(a.audit).toEqual(ddb('Query', 'PutItem'));
    expect(a['audit/index/byTime']).toEqual(ddb('Query'));
    expect(a['audit/index/bySubject']).toEqual(ddb('Query'));
    expect(a.risk).toBeUndefined();
    expect(a.policy).toBeUndefined();
  });

  it('totp changes authenticators in conditional transactions, reads the policy and appends to audit', () => {
    const a = access('totp');
    expect(a.risk).toEqual(ddb('GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem'));
    expect(a.audit).toEqual(AUDIT_APPEND);
    expect(a.policy).toEqual(ddb('GetItem'));
  });

  it.each(TRIGGER_LAMBDAS)('%s cannot touch the policy table and at most appends to audit', (name) => {
    const a = access(name);
    expect(a.policy).toBeUndefined();
    expect([undefined, AUDIT_APPEND]).toContainEqual(a.audit);
  });

  it('define only writes its session approvals; verify counts tries in a conditional transaction', () => {
    const define = access('define-auth-challenge');
    expect(define.risk).toEqual(ddb('PutItem'));
    expect(define.audit).toBeUndefined();
    expect(access('verify-auth-challenge').risk).toEqual(ddb('GetItem', 'UpdateItem', 'ConditionCheckItem'));
  });

  it('keeps the audit trail append-only: nobody may update, delete or scan it', () => {
    for (const name of Object.keys(fns) as LambdaName[]) {
      const audit = access(name).audit ?? [];
      expect(audit.filter((x) => !['dynamodb:PutItem', 'dynamodb:Query'].includes(x))).toEqual([]);
    }
  });

  it('no function can delete or scan anything, and none uses a dynamodb wildcard', () => {
    for (const name of Object.keys(fns) as LambdaName[]) {
      const actions = statements(name).flatMap(actionsOf);
      expect(actions).not.toContain('dynamodb:DeleteItem');
      expect(actions).not.toContain('dynamodb:Scan');
      expect(actions).not.toContain('dynamodb:BatchWriteItem');
      expect(actions.filter((x) => x.includes('*'))).toEqual([]);
    }
  });

  it('matches lib/lambda-entries.ts for every function (the contract the wiring authors read)', () => {
    for (const name of Object.keys(fns) as LambdaName[]) {
      const a = access(name);
      for (const [table, spec] of Object.entries(LAMBDA_ENTRIES[name].tables)) {
        expect(a[table]).toEqual(ddb(...spec.actions));
        for (const index of spec.indexes ?? []) expect(a[`${table}/index/${index}`]).toEqual(ddb('Query'));
      }
      const tables = Object.keys(a).filter((k) => ['risk', 'audit', 'policy'].includes(k.split('/')[0] ?? ''));
      expect(tables.filter((t) => !t.includes('/')).sort()).toEqual(Object.keys(LAMBDA_ENTRIES[name].tables).sort());
    }
  });

  it('gives the table key to functions with table access and the secret only to those that read it', () => {
    for (const name of Object.keys(fns) as LambdaName[]) {
      const a = access(name);
      const spec = LAMBDA_ENTRIES[name];
      expect(a.key).toEqual(
        Object.keys(spec.tables).length > 0
          ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']
          : spec.readsSecret
            ? ['kms:Decrypt']
            : undefined,
      );
      expect(a.secret).toEqual(spec.readsSecret ? ['secretsmanager:GetSecretValue'] : undefined);
    }
    // Admin and audit read it for cursorKey (signed page cursors); the checkpoint writer needs no secret.
    expect(access('admin').secret).toEqual(['secretsmanager:GetSecretValue']);
    expect(access('audit').secret).toEqual(['secretsmanager:GetSecretValue']);
    expect(access('audit-checkpoint').secret).toBeUndefined();
  });

  it('lets functions use the table key only through DynamoDB', () => {
    for (const name of Object.keys(fns) as LambdaName[]) {
      const onKey = statements(name).filter(
        (st) =>
          JSON.stringify(st.Resource).includes(logicalId(s.stateful.tables.key)) &&
          actionsOf(st).includes('kms:Encrypt'),
      );
      expect(onKey).toHaveLength(Object.keys(LAMBDA_ENTRIES[name].tables).length > 0 ? 1 : 0);
      for (const st of onKey) {
        expect(st.Condition).toEqual({ StringEquals: { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com' } });
      }
    }
  });

  it('lets secret readers decrypt with the key only through Secrets Manager (the secret is under the table key)', () => {
    for (const name of Object.keys(fns) as LambdaName[]) {
      const viaSecretsManager = statements(name).filter((st) =>
        JSON.stringify(st.Condition ?? {}).includes('secretsmanager.'),
      );
      if (!LAMBDA_ENTRIES[name].readsSecret) {
        expect(viaSecretsManager).toEqual([]);
        continue;
      }
      expect(viaSecretsManager).toHaveLength(1);
      const [statement] = viaSecretsManager;
      expect(statement!.Effect).toBe('Allow');
      expect(statement!.Action).toBe('kms:Decrypt');
      expect(JSON.stringify(statement!.Resource)).toContain(logicalId(s.stateful.tables.key));
      expect(statement!.Condition).toEqual({
        StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' },
      });
    }
  });

  it('uses no AWS managed policy; logs go only to the function own log group', () => {
    for (const name of Object.keys(fns) as LambdaName[]) {
      const role = templateOf(name).toJSON().Resources[logicalId(fns[name].role)];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      const logs = statements(name).filter((st) => actionsOf(st).some((x) => x.startsWith('logs:')));
      expect(logs).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logicalId(fns[name].logGroup), 'Arn'] },
        },
      ]);
    }
  });

  it('lets only the create trigger send codes: SES as the configured sender, SNS to phone numbers but not topics', () => {
    for (const name of Object.keys(fns) as LambdaName[]) {
      const actions = statements(name).flatMap(actionsOf);
      const sends = actions.some((x) => x.startsWith('ses:') || x.startsWith('sns:'));
      expect(sends).toBe(name === 'create-auth-challenge');
    }
    const create = statements('create-auth-challenge');
    const ses = create.filter((st) => actionsOf(st).includes('ses:SendEmail'));
    expect(ses).toHaveLength(1);
    expect(ses[0]!.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'no-reply@example.com' } });
    expect(JSON.stringify(ses[0]!.Resource)).toContain(':identity/example.com');
    const deny = create.filter((st) => st.Effect === 'Deny');
    expect(deny).toHaveLength(1);
    expect(actionsOf(deny[0]!)).toEqual(['sns:Publish']);
    expect(JSON.stringify(deny[0]!.Resource)).toContain(':sns:*:*:*');
  });

  it('scopes SES to an explicit identity ARN when one is configured', () => {
    const arn = CONFIGURED.sesIdentityArn;
    const c = synthStage('dev', CONFIGURED);
    const create = c.stateful.auth.triggers['create-auth-challenge'];
    const ses = statementsOfRole(c.statefulTemplate, logicalId(create.role)).filter((st) =>
      actionsOf(st).includes('ses:SendEmail'),
    );
    expect(ses.map((st) => st.Resource)).toEqual([arn]);
    expect(ses[0]!.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'codes@stepgate.example.org' } });
  });
});
