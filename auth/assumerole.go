package auth

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/statecraft/statecraft/arn"
)

// iamRoleName is IAM's rule for a role name with its optional path:
// 1 to 64 characters of letters, digits and +=,.@_- for the name, path
// segments of the same characters.
var iamRoleName = regexp.MustCompile(`^([\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)

// roleArn matches an IAM role ARN: arn:PARTITION:iam::ACCOUNT:role/NAME.
var roleArn = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):role/(.+)$`)

func checkIAMRoles(a Account) []string {
	var problems []string
	seen := map[string]bool{}
	for i, r := range a.IAMRoles {
		where := fmt.Sprintf("account %s: iamRoles[%d]", a.ID, i)
		switch {
		case !iamRoleName.MatchString(r.Name):
			problems = append(problems, fmt.Sprintf("%s: name %q: 1 to 64 letters, digits or +=,.@_- (with an optional path/)", where, r.Name))
		case seen[r.Name]:
			problems = append(problems, fmt.Sprintf("%s: %s declared twice", where, r.Name))
		case len(r.Trust) == 0:
			problems = append(problems, fmt.Sprintf("%s (%s): trust names nobody; list the accounts or state machine role ARNs that may assume it", where, r.Name))
		}
		seen[r.Name] = true
		for _, t := range r.Trust {
			if !arn.ValidAccount(t) && !roleArn.MatchString(t) {
				problems = append(problems, fmt.Sprintf("%s (%s): trust %q is neither an account id (12 digits) nor an IAM role ARN", where, r.Name, t))
			}
		}
	}
	return problems
}

// AssumeRole decides whether an execution may run a task under a role (a
// Task state's Credentials.RoleArn) and answers the account the task then
// runs in: the role's. The role must be declared in the credentials file,
// its account must be allowed the execution's region, and its trust must
// name the execution's account or its state machine's role (machineRole).
// The error says why not, worded as STS's AccessDenied for AssumeRole.
func (k *Keyring) AssumeRole(role, executionArn, machineRole string) (string, error) {
	ex, err := arn.Parse(executionArn)
	if err != nil {
		return "", fmt.Errorf("the execution %s has no account", executionArn)
	}
	denied := func(why string) error {
		caller := machineRole
		if caller == "" {
			caller = executionArn
		}
		return fmt.Errorf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s (%s) (Service: Sts, Status Code: 403, Error Code: AccessDenied)", caller, role, why)
	}
	m := roleArn.FindStringSubmatch(role)
	if m == nil {
		return "", denied("not an IAM role ARN")
	}
	acc, ok := k.accounts[m[1]]
	if !ok {
		return "", denied("no account " + m[1] + " is configured")
	}
	i := slices.IndexFunc(acc.IAMRoles, func(r IAMRole) bool { return r.Name == m[2] })
	if i < 0 {
		return "", denied("account " + m[1] + " has no such role")
	}
	if len(acc.Regions) > 0 && !slices.Contains(acc.Regions, ex.Region) {
		return "", denied("account " + m[1] + " may not use region " + ex.Region)
	}
	trust := acc.IAMRoles[i].Trust
	if !slices.Contains(trust, ex.Account) && (machineRole == "" || !slices.Contains(trust, machineRole)) {
		return "", denied("the role's trust names neither the account " + ex.Account + " nor the state machine's role")
	}
	return acc.ID, nil
}
