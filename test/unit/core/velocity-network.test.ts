import { parseIp, velocityNetwork } from '../../../lambdas/core/net/ip';
import { defaultPolicy } from '../../../lambdas/core/policy/default-policy';
import { buildSignalContext } from '../../../lambdas/core/risk/engine';
import { velocitySignals } from '../../../lambdas/core/risk/signals/velocity';
import type { VelocityCounts } from '../../../lambdas/core/risk/types';
import { input, ZERO_VELOCITY } from './fixtures';

describe('velocityNetwork', () => {
  const net = (ip: string) => velocityNetwork(parseIp(ip)!);

  it('is the /64 of a native IPv6 address, in one spelling', () => {
    expect(net('2a02:2f0c:8e10:4a00:1c2d:3e4f:5a6b:7c8d')).toBe('2a02:2f0c:8e10:4a00::/64');
    expect(net('2A02:2F0C:8E10:4A00:0:0:0:1')).toBe('2a02:2f0c:8e10:4a00::/64');
    expect(net('2a02:2f0c:8e10:4a01::1')).toBe('2a02:2f0c:8e10:4a01::/64');
  });

  it('is none for IPv4, IPv4-mapped IPv6, and NAT64 or Teredo addresses (their /64 is shared by strangers)', () => {
    expect(net('81.167.144.58')).toBeUndefined();
    expect(net('::ffff:81.167.144.58')).toBeUndefined();
    expect(net('64:ff9b::51a7:903a')).toBeUndefined();
    expect(net('64:ff9b:1::51a7:903a')).toBeUndefined();
    expect(net('2001:0:4136:e378:8000:63bf:3fff:fdd2')).toBeUndefined();
  });
});

describe('address velocity rules with an IPv6 /64 count', () => {
  const reasons = (velocity: Partial<VelocityCounts>) =>
    velocitySignals(buildSignalContext(input({ velocity: { ...ZERO_VELOCITY, ...velocity } })));
  const { ipManyUsers, ipBurst } = defaultPolicy.weights.velocity;

  it('fires on the /64 count when single addresses stay below the threshold, and says so', () => {
    expect(reasons({ ipDistinctUsers: 1, networkDistinctUsers: ipManyUsers.threshold })).toEqual([
      {
        code: 'velocity.ip_many_users',
        points: ipManyUsers.points,
        detail: `${ipManyUsers.threshold} distinct users from this IPv6 /64 in 10 min`,
      },
    ]);
    expect(reasons({ ipRequests: 2, networkRequests: ipBurst.threshold + 3 })).toEqual([
      {
        code: 'velocity.ip_burst',
        points: ipBurst.points,
        detail: `${ipBurst.threshold + 3} requests from this IPv6 /64 in 1 min`,
      },
    ]);
  });

  it('names the address when its own count is as high, and adds one reason, not two', () => {
    const both = reasons({ ipDistinctUsers: 25, networkDistinctUsers: 25 });
    expect(both).toEqual([
      {
        code: 'velocity.ip_many_users',
        points: ipManyUsers.points,
        detail: '25 distinct users from this IP in 10 min',
      },
    ]);
    expect(reasons({ ipDistinctUsers: 3, networkDistinctUsers: 4 })).toEqual([]);
  });
});
