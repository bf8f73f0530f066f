/**
 * Tells the security console's app client from the pool's other clients, by what a Cognito trigger event carries
 * (the pool and client ids): the pre token generation trigger holds console sign-ins and refreshes to the staff
 * groups.
 */
export interface ConsoleClients {
  /** Rejects when it cannot tell; the trigger then fails closed (no tokens). */
  isConsole(userPoolId: string, clientId: string): Promise<boolean>;
}
