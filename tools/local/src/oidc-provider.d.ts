/** oidc-provider ships no types; identity-provider.ts declares the few parts it uses and casts to them. */
declare module 'oidc-provider' {
  const Provider: unknown;
  export default Provider;
}
