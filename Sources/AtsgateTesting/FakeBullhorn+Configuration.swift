extension FakeBullhorn {
    /// How a fake Bullhorn tenant starts. Every field has a default, so a test sets only what it is about.
    ///
    /// ```swift
    /// var configuration = FakeBullhorn.Configuration()
    /// configuration.sessionLifetime = .seconds(30)
    /// configuration.dataCenter = "west"       // loginInfo answers a 307 first
    /// try await FakeBullhorn.withRunning(configuration: configuration) { fake in … }
    /// ```
    public struct Configuration: Sendable {
        // MARK: Credentials (B1)

        /// The default is `"atsgate-client-id"`.
        public var clientID: String
        /// The default is `"atsgate-client-secret"`.
        public var clientSecret: String
        /// The API user. The default is `"atsgate.api"`.
        public var username: String
        /// The default is `"correct horse battery staple"`.
        public var password: String
        /// The redirect URI whitelisted for the client. `authorize` rejects any other, and sends the
        /// code there when none is given. The default is `"https://atsgate.invalid/bullhorn/callback"`.
        public var redirectURI: String

        // MARK: Lifetimes (B1)

        /// How long an authorization code can be exchanged. The default is one minute.
        public var authorizationCodeLifetime: Duration
        /// How long an access token can open a session; `expires_in` says the same. The default
        /// is 600 seconds.
        public var accessTokenLifetime: Duration
        /// How long a session lasts when `login` has no `ttl`. The default is ten minutes.
        public var sessionLifetime: Duration

        // MARK: Tenant

        /// The corporation token in `restUrl`. The default is `"fk3x9"`.
        public var corpToken: String
        /// When set, `GET /rest-services/loginInfo` answers a 307 to
        /// `/dc/{dataCenter}/rest-services/loginInfo`, as Bullhorn does when asked at the wrong
        /// data center (B1). The default is nil: no redirect.
        public var dataCenter: String?
        /// Mandatory fields without a default, per entity: the tenant's fieldmaps, reported as
        /// `required` by `meta?meta=full` (B3). The default is the practical minimum of B3:
        /// JobOrder `title`, `clientCorporation`, `clientContact`, `employmentType`;
        /// ClientCorporation `name`; ClientContact `clientCorporation`, `firstName`, `lastName`.
        public var requiredFields: [Entity: Set<String>]
        /// The id of the API user, the CorporateUser that `owner` defaults to. The default is 1.
        public var apiUserID: Int
        /// Entities whose `query` is refused with 400 `errors.queryIndexedEntity`, as some tenants
        /// do for indexed entities (B5). The default is none.
        public var entitiesRejectingQuery: Set<Entity>

        public init(
            clientID: String = "atsgate-client-id",
            clientSecret: String = "atsgate-client-secret",
            username: String = "atsgate.api",
            password: String = "correct horse battery staple",
            redirectURI: String = "https://atsgate.invalid/bullhorn/callback",
            authorizationCodeLifetime: Duration = .seconds(60),
            accessTokenLifetime: Duration = .seconds(600),
            sessionLifetime: Duration = .seconds(600),
            corpToken: String = "fk3x9",
            dataCenter: String? = nil,
            requiredFields: [Entity: Set<String>] = [
                .jobOrder: ["title", "clientCorporation", "clientContact", "employmentType"],
                .clientCorporation: ["name"],
                .clientContact: ["clientCorporation", "firstName", "lastName"],
            ],
            apiUserID: Int = 1,
            entitiesRejectingQuery: Set<Entity> = []
        ) {
            self.clientID = clientID
            self.clientSecret = clientSecret
            self.username = username
            self.password = password
            self.redirectURI = redirectURI
            self.authorizationCodeLifetime = authorizationCodeLifetime
            self.accessTokenLifetime = accessTokenLifetime
            self.sessionLifetime = sessionLifetime
            self.corpToken = corpToken
            self.dataCenter = dataCenter
            self.requiredFields = requiredFields
            self.apiUserID = apiUserID
            self.entitiesRejectingQuery = entitiesRejectingQuery
        }
    }
}
