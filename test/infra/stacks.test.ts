/**
 * Assertions on the synthesized stacks, one concern per file under specs/. They run from this one test file so
 * that each stage is synthesized once per run (synthStage memoizes within a Jest module registry), not once per
 * concern: a synth takes seconds.
 */
import './specs/lambdas';
import './specs/iam';
import './specs/tables';
import './specs/auth';
import './specs/api';
import './specs/observability';
import './specs/anchoring';
import './specs/nag';
