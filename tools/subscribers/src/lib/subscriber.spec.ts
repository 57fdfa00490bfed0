import { TOPICS } from '@broker-events/contracts';
import { handover, kafkaUser, teamNameProblem } from './subscriber';

describe('internal subscribers', () => {
  it('takes team names whose group prefix overlaps nobody else’s, and refuses the rest', () => {
    expect(teamNameProblem('team-x', ['archive-server', 'team-y-'])).toBeUndefined();
    expect(teamNameProblem('team', ['team-y-'])).toMatch(/would share groups with "team-y-"/);
    expect(teamNameProblem('team-y-sub', ['team-y-'])).toMatch(/would share groups/);
    expect(teamNameProblem('archive', ['archive-server'])).toMatch(/would share groups/);
    for (const bad of ['', 'x', 'Team', 'team_x', 'team--x', '-team', 'team-', '1team', 'a'.repeat(41)])
      expect(teamNameProblem(bad, [])).toMatch(/lowercase letters/);
  });

  it('grants read on the events topic and its own groups only, by SCRAM or by TLS certificate', () => {
    const scram = kafkaUser({
      team: 'team-x',
      authentication: 'scram-sha-512',
      cluster: 'c',
      bootstrap: 'b:9093',
    });
    expect(scram).toMatchObject({
      kind: 'KafkaUser',
      metadata: { name: 'team-x', labels: { 'strimzi.io/cluster': 'c' } },
      spec: {
        authentication: { type: 'scram-sha-512' },
        authorization: {
          type: 'simple',
          acls: [
            { resource: { type: 'topic', name: TOPICS.events }, operations: ['Read', 'Describe'] },
            { resource: { type: 'group', name: 'team-x-', patternType: 'prefix' }, operations: ['Read'] },
          ],
        },
      },
    });
    const tls = handover({ team: 'team-x', authentication: 'tls', cluster: 'c', bootstrap: 'b:9093' }, 'ns');
    expect(tls).toMatch(/KAFKA_SECURITY_PROTOCOL=SSL/);
    expect(tls).toMatch(/get secret team-x .*user\\.p12/);
    expect(tls).not.toMatch(/SASL/);
    expect(
      handover({ team: 'team-x', authentication: 'scram-sha-512', cluster: 'c', bootstrap: 'b:9093' }),
    ).toMatch(/KAFKA_SASL_MECHANISM=SCRAM-SHA-512\nKAFKA_USERNAME=team-x/);
  });
});
