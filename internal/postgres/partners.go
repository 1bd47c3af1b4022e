package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

// CreatePartner stores a new partner and logs it, in one transaction.
func (db *DB) CreatePartner(ctx context.Context, p *custexport.Partner, by custexport.Principal) error {
	if err := custexport.ValidatePartner(p.Name, p.Note); err != nil {
		return err
	}
	return db.loggedChange(ctx, by, func(tx pgx.Tx) (string, error) {
		p.CreatedAt = db.clock.Now().UTC().Truncate(time.Millisecond)
		err := tx.QueryRow(ctx, `INSERT INTO partner (name, note, valid_until, link_salt, created_at) VALUES ($1, $2, $3, $4, $5)
			RETURNING id`, p.Name, p.Note, p.ValidUntil.String(), p.LinkSalt, p.CreatedAt.UnixMilli()).Scan(&p.ID)
		if err != nil {
			return "", err
		}
		return custexport.PartnerCreatedEvent(p), nil
	})
}

// Partner returns a live partner; CodeNotFound when it does not exist or was deleted.
func (db *DB) Partner(ctx context.Context, id int64) (*custexport.Partner, error) {
	row := db.pool.QueryRow(ctx, `SELECT `+storerow.PartnerColumns+` FROM partner WHERE id = $1 AND deleted_at = 0`, id)
	p, err := storerow.ScanPartner(row.Scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, custexport.Errorf(custexport.CodeNotFound, "partner %d does not exist", id)
	}
	return p, err
}

// Partners lists the live partners by id.
func (db *DB) Partners(ctx context.Context) ([]custexport.Partner, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+storerow.PartnerColumns+` FROM partner WHERE deleted_at = 0 ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return storerow.Collect(rows, storerow.ScanPartner)
}

// RegeneratePartner replaces the partner's link salt: every link issued for it stops working.
func (db *DB) RegeneratePartner(ctx context.Context, id int64, salt []byte, by custexport.Principal) error {
	return db.updatePartner(ctx, id, by, `UPDATE partner SET link_salt = $1 WHERE id = $2 AND deleted_at = 0`, salt,
		"partner %d %q regenerated: its earlier links stop working")
}

// SetPartnerValidUntil changes the last day the partner's links work (zero: no expiry).
func (db *DB) SetPartnerValidUntil(ctx context.Context, id int64, until custexport.Date, by custexport.Principal) error {
	return db.updatePartner(ctx, id, by, `UPDATE partner SET valid_until = $1 WHERE id = $2 AND deleted_at = 0`, until.String(),
		"partner %d %q valid until "+custexport.PartnerExpiryText(until))
}

// DeletePartner deletes the partner: its links stop working. The row stays (marked deleted)
// so that its id is never handed out again; its salt is wiped.
func (db *DB) DeletePartner(ctx context.Context, id int64, by custexport.Principal) error {
	return db.updatePartner(ctx, id, by, `UPDATE partner SET deleted_at = $1, link_salt = ''::bytea WHERE id = $2 AND deleted_at = 0`,
		db.clock.Now().UnixMilli(), "partner %d %q deleted")
}

// TouchPartner records the partner's last use.
func (db *DB) TouchPartner(ctx context.Context, id int64, at time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE partner SET last_used_at = $1 WHERE id = $2`, at.UnixMilli(), id)
	return err
}

func (db *DB) updatePartner(ctx context.Context, id int64, by custexport.Principal, update string, value any, event string) error {
	return db.loggedChange(ctx, by, func(tx pgx.Tx) (string, error) {
		var name string
		err := tx.QueryRow(ctx, `SELECT name FROM partner WHERE id = $1 AND deleted_at = 0`, id).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", custexport.Errorf(custexport.CodeNotFound, "partner %d does not exist", id)
		}
		if err != nil {
			return "", err
		}
		if _, err := tx.Exec(ctx, update, value, id); err != nil {
			return "", err
		}
		return fmt.Sprintf(event, id, name), nil
	})
}

// loggedChange runs change and logs the event it describes in the same transaction, so the
// access log cannot miss a partner or user change.
//
// It takes the access log's lock first, not just before the append: every logged change then
// runs alone, as every write does in SQLite, so a check followed by a write (a partner still
// live, a user name still free) sees no other change slip in between, and every transaction
// that takes the lock takes it before any other.
func (db *DB) loggedChange(ctx context.Context, by custexport.Principal, change func(pgx.Tx) (string, error)) error {
	return db.logTx(ctx, func(tx pgx.Tx) error {
		event, err := change(tx)
		if err != nil {
			return err
		}
		e := &custexport.AccessEntry{Principal: by, Channel: channelOf(by), Outcome: custexport.OutcomeEvent, Reason: event}
		return db.appendAccessTx(ctx, tx, e)
	})
}

func channelOf(p custexport.Principal) custexport.Channel {
	if p.Kind == custexport.PrincipalOperator {
		return custexport.ChannelCLI
	}
	return custexport.ChannelAdmin
}

// sqlState is the SQLSTATE of a PostgreSQL error, or "".
func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

var _ custexport.PartnerStore = (*DB)(nil)
