/**
 * Who may call the API: a Cognito user pool with the registry's three roles as groups and the
 * partner's party as `custom:partyId` (both arrive as JWT claims, see shared/http/claims.ts), and
 * one app client for the web console. Accounts are created by staff only.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLES } from '#shared/domain/principal.ts';
import { emailDomain } from './config.ts';

export interface RegistryUsersProps {
  /** Who Cognito's mails come from, through Amazon SES in `region`; without it, Cognito's own sender and quota. */
  email?: { from: string; region: string } | undefined;
}

export class RegistryUsers extends Construct {
  readonly pool: cognito.UserPool;
  readonly consoleClient: cognito.UserPoolClient;

  constructor(scope: Construct, id: string, props: RegistryUsersProps = {}) {
    super(scope, id);
    const { email } = props;
    this.pool = new cognito.UserPool(this, 'Pool', {
      ...(email && {
        email: cognito.UserPoolEmail.withSES({
          fromEmail: email.from,
          fromName: 'Concord registry',
          sesVerifiedDomain: emailDomain(email.from),
          sesRegion: email.region,
        }),
      }),
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      // Mutable so staff can move a partner to another party; the client below cannot write it.
      customAttributes: { partyId: new cognito.StringAttribute({ minLen: 1, maxLen: 64, mutable: true }) },
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.pool).acknowledge(
      { id: 'AwsSolutions-COG2', reason: 'MFA is optional by requirement (issue 4); TOTP is offered to every user (SMS off) and the README asks staff to enrol.' },
      { id: 'AwsSolutions-COG8', reason: 'Plus tier (threat protection) is a per-user cost decision for the operator; self sign-up is off and every account is created by staff.' },
    );

    // Retained with the pool: deleting a group would take every user's membership (their role) with it.
    for (const role of ROLES) {
      this.pool.addGroup(`${role}Group`, { groupName: role, description: `Concord ${role} role` }).applyRemovalPolicy(RemovalPolicy.RETAIN);
    }

    this.consoleClient = this.pool.addClient('Console', {
      generateSecret: false,
      // SRP for the web console; a password over TLS for the AWS CLI (README: getting a token), until that console exists.
      authFlows: { userSrp: true, userPassword: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      readAttributes: new cognito.ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true, fullname: true })
        .withCustomAttributes('partyId'),
      // Never custom:partyId: a partner who could write it could read another party's agreements.
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ fullname: true }),
    });
    this.consoleClient.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}
