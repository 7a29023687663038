DROP TABLE board_changes;
