package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/latchkey/latchkey/oauth"
)

func (p *program) usersCommand() *cli.Command {
	pwStdin := func() cli.Flag {
		return &cli.BoolFlag{Name: "password-stdin", Usage: "read the password from the first line of stdin instead of generating one"}
	}
	return &cli.Command{
		Name:  "users",
		Usage: "manage local accounts",
		Subcommands: []*cli.Command{
			{
				Name: "add", Usage: "create a user (prints a generated password once)",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "username", Usage: "1–64 of a-z A-Z 0-9 . _ @ -"},
					&cli.BoolFlag{Name: "admin", Usage: "may use the admin console"},
					pwStdin(), jsonFlag(),
				},
				Action: p.addUser,
			},
			{Name: "list", Usage: "list users", Flags: []cli.Flag{jsonFlag()}, Action: p.listUsers},
			{Name: "disable", Usage: "stop a user from signing in or refreshing tokens", ArgsUsage: "USERNAME",
				Flags: []cli.Flag{jsonFlag()}, Action: p.setUserDisabled(true)},
			{Name: "enable", Usage: "let a disabled user sign in again", ArgsUsage: "USERNAME",
				Flags: []cli.Flag{jsonFlag()}, Action: p.setUserDisabled(false)},
			{Name: "passwd", Usage: "set a new password (prints a generated one once)", ArgsUsage: "USERNAME",
				Flags: []cli.Flag{pwStdin(), jsonFlag()}, Action: p.changePassword},
		},
	}
}

// userView is a user as admin output shows it; never the password hash.
type userView struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Admin     bool      `json:"admin"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Password is set only right after latchkey generated it.
	Password string `json:"password,omitempty"`
}

func newUserView(u *oauth.User) userView {
	return userView{ID: u.ID, Username: u.Username, Admin: u.Admin, Disabled: u.Disabled, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

func (p *program) addUser(c *cli.Context) error {
	if _, err := positional(c); err != nil {
		return err
	}
	username := c.String("username")
	if username == "" {
		return usageErrorf("users add: --username is required")
	}
	if err := checkUsername(username); err != nil {
		return err
	}
	password, generated, err := p.newPassword(c)
	if err != nil {
		return err
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		hash, err := newHasher().Hash(ctx, password)
		if err != nil {
			return fmt.Errorf("hash password: %w", err)
		}
		now := time.Now().UTC()
		u := &oauth.User{
			ID: newUserID(), Username: username, PasswordHash: hash, Admin: c.Bool("admin"),
			CreatedAt: now, UpdatedAt: now,
		}
		if err := env.store.CreateUser(ctx, u); err != nil {
			if errors.Is(err, oauth.ErrConflict) {
				return explain(err, "user %q already exists", username)
			}
			return fmt.Errorf("create user: %w", err)
		}
		env.audit(ctx, "user.create", u.Username, map[bool]string{true: "admin", false: ""}[u.Admin])
		out := p.printer(c)
		if out.json {
			v := newUserView(u)
			if generated {
				v.Password = password
			}
			return out.JSON(v)
		}
		out.linef("created user %s (%s)", u.Username, u.ID)
		if generated {
			out.linef("password: %s", password)
		}
		return nil
	})
}

func (p *program) listUsers(c *cli.Context) error {
	if _, err := positional(c); err != nil {
		return err
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		users, err := env.store.ListUsers(ctx)
		if err != nil {
			return fmt.Errorf("list users: %w", err)
		}
		out := p.printer(c)
		if out.json {
			views := make([]userView, 0, len(users))
			for _, u := range users {
				views = append(views, newUserView(u))
			}
			return out.JSON(views)
		}
		rows := make([][]string, 0, len(users))
		for _, u := range users {
			rows = append(rows, []string{u.Username, yesNo(u.Admin), yesNo(u.Disabled), textTime(u.CreatedAt)})
		}
		return out.table([]string{"USERNAME", "ADMIN", "DISABLED", "CREATED"}, rows)
	})
}

// setUserDisabled is the action of users disable and users enable.
func (p *program) setUserDisabled(disabled bool) cli.ActionFunc {
	return func(c *cli.Context) error {
		args, err := positional(c, "username")
		if err != nil {
			return err
		}
		return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
			u, err := getUser(ctx, env.store, args[0])
			if err != nil {
				return err
			}
			u.Disabled = disabled
			u.UpdatedAt = time.Now().UTC()
			// Off-boarding: disabling takes away everything the user holds.
			revoked, err := oauth.SetUserDisabled(ctx, env.store, u.ID, disabled, u.UpdatedAt)
			if err != nil {
				return fmt.Errorf("update user: %w", err)
			}
			env.audit(ctx, map[bool]string{true: "user.disable", false: "user.enable"}[disabled], u.Username, fmt.Sprintf("revoked %d grants", revoked))
			out := p.printer(c)
			if out.json {
				return out.JSON(newUserView(u))
			}
			if disabled {
				out.linef("disabled user %s (revoked %d grants)", u.Username, revoked)
			} else {
				out.linef("enabled user %s", u.Username)
			}
			return nil
		})
	}
}

func (p *program) changePassword(c *cli.Context) error {
	args, err := positional(c, "username")
	if err != nil {
		return err
	}
	if err := checkUsername(args[0]); err != nil {
		return err
	}
	password, generated, err := p.newPassword(c)
	if err != nil {
		return err
	}
	return p.withStore(c, func(ctx context.Context, env *adminEnv) error {
		u, err := getUser(ctx, env.store, args[0])
		if err != nil {
			return err
		}
		if u.PasswordHash, err = newHasher().Hash(ctx, password); err != nil {
			return fmt.Errorf("hash password: %w", err)
		}
		u.UpdatedAt = time.Now().UTC()
		if err := env.store.SetUserPassword(ctx, u.ID, u.PasswordHash, u.UpdatedAt); err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		env.audit(ctx, "user.password", u.Username, "")
		out := p.printer(c)
		if out.json {
			v := newUserView(u)
			if generated {
				v.Password = password
			}
			return out.JSON(v)
		}
		out.linef("changed the password of %s", u.Username)
		if generated {
			out.linef("password: %s", password)
		}
		return nil
	})
}

// getUser looks a user up by name, with a readable error when there is none.
func getUser(ctx context.Context, st oauth.UserStore, username string) (*oauth.User, error) {
	if err := checkUsername(username); err != nil {
		return nil, err
	}
	u, err := st.GetUserByUsername(ctx, username)
	if errors.Is(err, oauth.ErrNotFound) {
		return nil, explain(err, "user %q not found", username)
	}
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}

// checkUsername enforces 1–64 characters of [a-zA-Z0-9._@-].
func checkUsername(name string) error {
	if err := oauth.CheckUsername(name); err != nil {
		return usageErrorf("invalid username %q: %v", name, err)
	}
	return nil
}

func newUserID() string { return oauth.NewUserID() }

// newHasher hashes with the same argon2id parameters as the server; the CLI
// hashes one password at a time.
func newHasher() *oauth.Hasher { return oauth.NewHasher(oauth.DefaultPasswordParams(), 1) }
