// Package project loads a Statecraft project file: the local Lambda-style
// functions, the state machines and the EventBridge-style connections that
// `statecraft server --project FILE` starts with and that
// `statecraft deploy FILE` sends to a running server. The server started
// with a file uses its code directories where they are; `statecraft
// deploy` packs each code directory into its request instead, since a
// server takes no path from a request (see package deploy).
//
// # Format
//
// A project file is one YAML document with up to three sections, each a
// mapping from a name to a declaration (and the IVR sections below). Every key is checked: an unknown key
// anywhere is an error. A full example:
//
//	# statecraft.yaml
//	functions:
//	  SendMessage:
//	    runtime: nodejs20.x            # nodejsNN.x, provided, provided.al2, provided.al2023 or go1.x
//	    handler: sendMessage.handler   # nodejs: FILE.EXPORT; go1.x: the executable; provided*: optional
//	    code: ./functions              # code directory, relative to this file
//	    timeout: 10s                   # a duration or a number of seconds, 1s..900s; default 3s
//	    memory: 256                    # MB, 128..10240; default 128
//	    concurrency: 5                 # reserved concurrency, at least 1; default unreserved
//	    environment:
//	      GREETING: hello
//	      ONBOARDING_ARN: ${UserOnboarding.Arn}
//	      API_TOKEN: ${env:API_TOKEN}
//	  FetchActivityCount:
//	    runtime: nodejs20.x
//	    handler: fetchActivityCount.handler
//	    code: ./functions
//
//	stateMachines:
//	  UserOnboarding:
//	    definition: statemachine.asl.json   # ASL file, relative to this file
//	    type: STANDARD                      # or EXPRESS; default STANDARD
//	    roleArn: arn:aws:iam::123456789012:role/onboarding   # optional
//	    substitutions:                      # ${Name} values besides the automatic ones
//	      WaitSeconds: 3
//	      Greeting: Welcome aboard
//	    tags:
//	      team: growth
//
//	connections:
//	  PaymentsApi:
//	    apiKey:
//	      name: x-api-key
//	      value: ${env:PAYMENTS_KEY}
//	    invocation:                         # added to every HTTP task call
//	      headers:
//	        x-source: statecraft
//	      queryParameters: {}
//	      bodyParameters: {}
//	  Crm:
//	    basic:
//	      username: bot
//	      password: ${env:CRM_PASSWORD}
//	  Billing:
//	    oauth:                              # client credentials
//	      tokenUrl: https://auth.example.com/oauth2/token
//	      clientId: statecraft
//	      clientSecret: ${env:BILLING_SECRET}
//	      method: POST                      # GET, POST or PUT; default POST
//	      scope: invoices.write             # optional
//	      bodyParameters: { audience: billing }
//	      headerParameters: {}
//	      queryParameters: {}
//
// A value holding a placeholder must not stand unquoted inside a { } flow
// mapping, whose braces YAML reads as its own: write
// `{ name: x-api-key, value: "${env:KEY}" }` or use block style as above.
//
// # Functions
//
// A function's name is its key: 1 to 64 letters, digits, hyphens or
// underscores, as in Lambda. runtime and code are required; code is a
// directory that must exist, and for `statecraft deploy` one without
// symbolic links (it is packed as regular files and directories, at most
// 250 MB). runtime is one of the allow-list nodejsNN.x, provided,
// provided.al2, provided.al2023 and go1.x. A nodejs function's handler is
// FILE.EXPORT (a path below code is allowed, as in src/app.handler) and
// FILE.js, .mjs or .cjs must exist in the code directory. A go1.x
// function's handler names its executable, a regular file inside code (a
// relative path without ".."). A provided* function may leave handler out;
// its code directory holds a bootstrap executable. Environment variable
// names follow Lambda's rules and may not be ones Lambda reserves
// (AWS_REGION, _HANDLER, ...); scalars are taken as written, so PORT: 8080
// is "8080". A server refuses, in a deployment over HTTP, variables that
// change how code is loaded (NODE_OPTIONS, PERL5OPT, LD_PRELOAD, PATH, ...;
// deploy.LoaderEnv) unless its operator allows them with
// --allow-function-env.
//
// # State machines
//
// A state machine's name is its key: 1 to 80 characters, none of them
// whitespace, a control character or one of < > { } [ ] ? * " # % \ ^ | ~ ` $
// & , ; : /, as in Step Functions. definition is required and names a file
// holding the Amazon States Language definition. The file's placeholders are
// substituted (see below) and the result must be valid JSON; the ASL itself
// is not validated here (the caller runs asl.Validate on Definition).
//
// # Connections
//
// A connection's name is its key: 1 to 64 letters, digits, dots, hyphens or
// underscores, as in EventBridge. A connection has exactly one of apiKey,
// basic or oauth. Each field inside them is required except oauth's method,
// scope and parameter maps.
//
// # Activities, tenants, the workflow API and the media service
//
// Four more sections serve the IVR (see examples/alarm-ivr/statecraft.yaml):
//
//	activities:
//	  mediaService: {}                    # created at deploy; ${mediaService.Arn} is its ARN
//	workflowApi:
//	  adminKeys: [ "${env:STATECRAFT_ADMIN_KEY}" ]   # /v1/admin/... and inbound routing
//	tenants:
//	  acme:
//	    account: "111122223333"           # optional: the account its executions belong to
//	    apiKeys: [ "${env:ACME_API_KEY}" ]           # at least 16 characters each
//	    workflows:                        # workflow name -> state machine of this project (or an ARN)
//	      alarm-notification: AlarmNotification
//	      inbound-pin: InboundPin
//	    numbers:                          # an inbound call to the number starts the workflow
//	      "+46101234567": inbound-pin
//	    ivr:                              # the calls of its executions (all optional)
//	      trunk: acme-trunk               # a trunk of mediaService.trunks
//	      callerId: "+46101234567"
//	      voice: sv                       # espeak-ng voice, checked when the media service starts
//	mediaService:                         # run the IVR media service inside statecraft server
//	  activity: mediaService              # an activity of this project, or an ARN
//	  pollers: 4
//	  workerName: ivr-1
//	  callerId: "+46100000000"
//	  voice: en-us
//	  promptDir: ./prompts
//	  sip:
//	    bind: 0.0.0.0:5060                # HOST:PORT; port 0 picks a free one
//	    transport: udp                    # or tcp
//	    externalHost: 203.0.113.7         # written into Contact and SDP behind NAT
//	    proxy: sip:trunk.example.com:5060 # where numbers are sent
//	    user: alarm                       # digest auth
//	    password: ${env:SIP_PASSWORD}     # or passwordEnv: SIP_PASSWORD
//	    fromHost: trunk.example.com
//	    rtpPorts: 20000-20999
//	    registrar: sip:trunk.example.com  # REGISTER user there (digest, refreshed, removed on shutdown)
//	    registerExpires: 3600             # seconds, 60 to 86400
//	  trunks:                             # more trunks, by name, that tenants pick (ivr.trunk)
//	    acme-trunk:
//	      proxy: sip:sip.acme.example     # at least one of proxy and registrar
//	      registrar: sip:sip.acme.example
//	      user: acme-ivr                  # required with registrar
//	      passwordEnv: ACME_SIP_PASSWORD  # the variable holding the password, read at start
//	      fromHost: acme.example
//	      expires: 600
//	  handoff:                            # several workers: see ivr's hand-off
//	    listen: 0.0.0.0:7090
//	    addr: 10.0.0.5:7090
//	    secret: ${env:HANDOFF_SECRET}
//
// A tenant's names are 1 to 32 letters, digits, hyphens or underscores; a
// number may be routed by one tenant only, to one of its own workflows. A
// tenant's executions belong to its account (the server's --account when
// unset, where this project's state machines are): the Step Functions API
// shows them only to that account's credentials. A tenant of another
// account names that account's state machines, not this project's.
//
// # Accounts
//
// An accounts section declares who may use the server, in the format of
// the credentials file (package auth): accounts, their access keys and each
// key's role (admin, operator, worker or read-only), secrets by
// ${env:NAME}, and the iamRoles a Task's Credentials may name:
//
//	accounts:
//	  - id: "111122223333"
//	    keys:
//	      - accessKeyId: AKIAALARMADMIN
//	        secretAccessKey: ${env:ALARM_ADMIN_SECRET}
//	        role: admin
//
// It adds to --credentials; with neither, the server accepts only the
// development pair local/local from loopback.
// `statecraft deploy` sends activities (not tenants or the media service,
// which a server takes from --project at start-up or from the admin API).
//
// # Object store
//
// An s3 section names the object store of Distributed Maps' ItemReader and
// ResultWriter for `statecraft server --project` and `statecraft run
// --project`, as the server's --s3-* flags do:
//
//	s3:
//	  endpoint: http://127.0.0.1:9000     # or dir: ./buckets, relative to this file
//	  region: eu-north-1
//	  pathStyle: true
//	  accessKeyIdEnv: MINIO_ACCESS_KEY    # names of environment variables, not keys
//	  secretAccessKeyEnv: MINIO_SECRET_KEY
//
// The file holds no key, only the names of the variables that do, read by
// the server or the run (see S3). `statecraft deploy` does not send it.
//
// # Placeholders
//
// Any ${...} in a string value of the project file, and any ${...} in a
// definition file, is a placeholder. A placeholder that is not one of these is
// an error:
//
//	${env:NAME}            the environment variable NAME (an error if it is unset)
//	${env:NAME:-DEFAULT}   NAME, or DEFAULT when NAME is unset or empty
//	${F.Arn}, ${FArn}      function F:      arn:aws:lambda:REGION:ACCOUNT:function:F
//	${M.Arn}               state machine M: arn:aws:states:REGION:ACCOUNT:stateMachine:M
//	${C.Arn}               connection C:    arn:aws:events:REGION:ACCOUNT:connection/C
//	${A.Arn}               activity A:      arn:aws:states:REGION:ACCOUNT:activity:A
//	${AWS::Region}         REGION
//	${AWS::AccountId}      ACCOUNT
//	${AWS::Partition}      aws
//	${Name}                in a machine's definition only: its own substitutions.Name
//
// REGION and ACCOUNT come from Options. Because ${Name.Arn} must be
// unambiguous, a name may be used by only one function, state machine or
// connection. A machine's own substitutions take precedence over the automatic
// values; their names are letters, digits, dots, hyphens and underscores. The
// values in the project file are expanded once, when the file is read, and a
// definition's placeholders are then replaced by those values as they are,
// without JSON quoting, as SAM's DefinitionSubstitutions do: write
// "Resource": "${SendMessage.Arn}" for a string and "Seconds": ${WaitSeconds}
// for a number.
//
// # Errors
//
// Load reports every problem it finds at once in an *Error, one line per
// problem, sorted by file and line:
//
//	statecraft.yaml:4: functions.SendMessage.timeout: must be between 1s and 900s
//	statecraft.yaml:9: stateMachines.Onboarding.typ: unknown field (did you mean type?)
//	statemachine.asl.json:12: stateMachines.Onboarding.definition: unknown placeholder ${SendMesage.Arn} (did you mean ${SendMessage.Arn}?)
//
// Paths in the returned Project (CodeDir, DefinitionFile) are absolute,
// resolved against the directory of the project file.
package project
