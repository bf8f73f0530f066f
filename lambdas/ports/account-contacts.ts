/** Whether a signed-in user can be reached to step up: the user pool knows their verified e-mail and phone. */
export interface AccountContacts {
  /**
   * True when the user whose access token this is has a verified e-mail address or phone number. Throws when the
   * user pool cannot say (callers then treat the account as reachable: the stricter answer).
   */
  hasVerifiedContact(accessToken: string): Promise<boolean>;
}
