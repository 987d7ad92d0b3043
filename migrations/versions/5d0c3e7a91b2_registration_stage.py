"""the impact report's funnel kept: registration_stage, a row per registration that took a
material, was invited, answered or adopted; filled from the existing rows

Revision ID: 5d0c3e7a91b2
Revises: 68b9fb493fcc
Create Date: 2026-12-02 16:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d0c3e7a91b2'
down_revision = '68b9fb493fcc'
branch_labels = None
depends_on = None

# The rules of surveys/stages.py, in SQL that both databases read (not the app's models,
# which may change after this revision).
FILL = """
INSERT INTO registration_stage (registration_id, downloaded, invited, answered, adopted)
SELECT r.id,
    EXISTS (SELECT 1 FROM material_download d WHERE d.registration_id = r.id),
    EXISTS (SELECT 1 FROM survey_invitation i WHERE i.registration_id = r.id),
    EXISTS (SELECT 1 FROM survey_invitation i
            JOIN survey_answered a ON a.invitation_id = i.id
            WHERE i.registration_id = r.id),
    EXISTS (SELECT 1 FROM survey_invitation i
            JOIN survey_response s ON s.invitation_id = i.id
            JOIN survey_answer ans ON ans.response_id = s.id
            JOIN survey_option o ON o.id = ans.option_id AND o.question_id = ans.question_id
            JOIN survey_question q ON q.id = o.question_id
            JOIN survey sv ON sv.id = q.survey_id
            WHERE i.registration_id = r.id AND NOT sv.anonymous
              AND q.code = 'used_employment_requirements' AND o.code = 'yes')
FROM registration r
WHERE r.id IN (SELECT registration_id FROM material_download
               UNION SELECT registration_id FROM survey_invitation)
"""


def upgrade():
    op.create_table('registration_stage',
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('downloaded', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('invited', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('answered', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('adopted', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_registration_stage_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', name=op.f('pk_registration_stage'))
    )
    op.execute(FILL)


def downgrade():
    op.drop_table('registration_stage')
