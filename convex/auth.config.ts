// Who may save: the site's OpenID Connect provider (README.md, "Sign-in"). Convex checks each user's JWT
// against the issuer's discovery document and JWKS; `applicationID` is the token's `aud`. Set both on the
// deployment: npx convex env set CONVEX_AUTH_ISSUER https://issuer.example  (and CONVEX_AUTH_APPLICATION_ID).
declare const process: { env: Record<string, string | undefined> }; // Convex sets it from the deployment's env

export default {
  providers: [
    {
      domain: process.env.CONVEX_AUTH_ISSUER,
      applicationID: process.env.CONVEX_AUTH_APPLICATION_ID,
    },
  ],
};
